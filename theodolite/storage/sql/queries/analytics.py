"""Aggregates over time for the analytics API (what Grafana charts): `list_metric_rows`.

An aggregate is read from the rollups the writer keeps (`storage/rollups.py`) when one cube has
every dimension the query groups or filters by; otherwise its raw rows (observations, traces with
their totals, scores) are summed here through the same cells (`model/rollup_cells.py`): exact,
but its cost grows with the rows in the range.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from theodolite.model import histograms
from theodolite.model.rollup_cells import (
    CUBES,
    LEVELS,
    Cell,
    epoch_s,
    level_name,
    observation_cell,
    score_cell,
    trace_cell,
)
from theodolite.query.analytics_params import MEASURE_HISTOGRAM, QUANTILES, MetricQuery
from theodolite.query.metric_rows import metric_rows, metric_value
from theodolite.storage import rollups, tables
from theodolite.storage.engine import Database

o, t, tt, s = tables.observations, tables.traces, tables.trace_totals, tables.scores
Group = tuple[Any, ...]
STREAM_ROWS = 5_000
# Raw columns per dimension, by scope (user, session, release and tags are the trace's).
_OBSERVATION_COLUMNS = {name: o.c[name] for name in CUBES["obs"][1]}
_TRACE_DIMENSIONS = {"user": t.c.user_id, "session": t.c.session_id, "release": t.c.release}


def list_metric_rows(database: Database, query: MetricQuery) -> list[dict[str, Any]]:
    """Rows {"time": ms, <group>: value, "value": number|None}, by time then group. Blocks."""
    histogram = MEASURE_HISTOGRAM.get(query.measure) if query.aggregation in QUANTILES else None
    if histogram is not None:  # thousands of groups in a dashboard's percentile chart: the short way
        return _quantile_rows(query, _metric_histograms(database, query, histogram), QUANTILES[query.aggregation])
    cells = list_metric_cells(database, query)
    return metric_rows(query, cells, lambda cell: {"value": metric_value(cell, query.measure, query.aggregation)})


def list_metric_cells(database: Database, query: MetricQuery) -> dict[tuple[int, Group], Cell]:
    """The summed cell of each (bucket, group) with data (and, with fill_zero, of every bucket);
    sums only (a percentile: `list_metric_rows`)."""
    cube = rollups.covering_cube(query.scope, (*query.group_by, *query.filters), False, query.interval_s)
    with database.connect() as conn:
        if cube is not None and rollups.ready(conn):
            return _sum_cells(query, rollups.read_cells(conn, query, cube, None), fresh=True)
        return _sum_cells(query, _raw_cells(conn, query))


def _metric_histograms(database: Database, query: MetricQuery, histogram: str) -> dict[tuple[int, Group], Any]:
    """The merged `histogram` of each (bucket, group) with data."""
    cube = rollups.covering_cube(query.scope, (*query.group_by, *query.filters), True, query.interval_s)
    with database.connect() as conn:
        if cube is not None and rollups.ready(conn):
            return _merge_histograms(rollups.read_cells(conn, query, cube, histogram))
        return _merge_histograms((b, g, getattr(cell, histogram)) for b, g, cell in _raw_cells(conn, query))


def _quantile_rows(query: MetricQuery, found: dict[tuple[int, Group], Any], q: float) -> list[dict[str, Any]]:
    """`metric_rows` for a percentile, spelled out: a dashboard's chart of p95 by name over a week
    has about 5,000 points, and a function call per point is a tenth of its time."""
    if query.fill_zero:
        groups = {group for _, group in found} or ({()} if not query.group_by else set())
        for bucket in query.buckets():
            for group in groups:
                found.setdefault((bucket, group), [])
    quantile, names, rows = histograms.quantile, query.group_by, []
    for (bucket, group), bins in found.items():
        row: dict[str, Any] = {"time": bucket * 1000}
        for name, value in zip(names, group, strict=True):
            row[name] = "" if value is None else value
        row["value"] = quantile(bins, q)
        rows.append(row)
    rows.sort(key=itemgetter("time", *names) if names else itemgetter("time"))
    return rows


def _merge_histograms(found: Iterable[tuple[int, Group, Any]]) -> dict[tuple[int, Group], Any]:
    """Per (bucket, group), the merged histogram (a percentile reads nothing else). Most groups
    have one row per bucket: its stored form is kept as it is, merged only when a second one comes
    (`histograms.quantile` reads both)."""
    merged: dict[tuple[int, Group], Any] = {}
    for bucket, group, bins in found:
        key = (bucket, group)
        mine = merged.get(key)
        if mine is None:
            merged[key] = bins if isinstance(bins, list) else dict(bins)  # a raw cell may count in two groups
            continue
        if isinstance(mine, list):
            mine = merged[key] = dict(zip(mine[::2], mine[1::2], strict=True))
        histograms.add(mine, bins if isinstance(bins, dict) else dict(zip(bins[::2], bins[1::2], strict=True)))
    return merged


def _sum_cells(
    query: MetricQuery, cells: Iterable[tuple[int, Group, Cell]], fresh: bool = False
) -> dict[tuple[int, Group], Cell]:
    """`fresh`: each cell is its own object (the rollups' rows), kept as the first total of its key;
    a raw row's cell may count in several groups (its tags), so it is copied."""
    totals: dict[tuple[int, Group], Cell] = {}
    for bucket, group, cell in cells:
        key = (bucket, group)
        found = totals.get(key)
        if found is None:
            if fresh:
                totals[key] = cell
                continue
            found = totals[key] = Cell()
        found.add(cell)
    return totals


# -- the raw path ----------------------------------------------------------------------------


def _raw_cells(conn: Connection, query: MetricQuery) -> Iterator[tuple[int, Group, Cell]]:
    reader = {"observations": _observation_rows, "traces": _trace_rows, "scores": _score_rows}[query.scope]
    for moment, dims, cell in reader(conn, query):
        if not _matches(dims, query.filters):
            continue
        bucket = query.bucket_of(moment)
        for group in _groups(dims, query.group_by):
            yield bucket, group, cell


def _matches(dims: dict[str, Any], filters: dict[str, tuple[str, ...]]) -> bool:
    """The filters SQL could not apply: tags (a list), a trace's models."""
    for name, values in filters.items():
        if name == "tag":
            if not set(values).intersection(dims["tags"] or ()):
                return False
        elif name == "model" and "models" in dims:
            models = dims["models"] or ""
            if not any(f"|{value}|" in models for value in values):
                return False
    return True


def _groups(dims: dict[str, Any], group_by: tuple[str, ...]) -> list[Group]:
    """A row's group, or one per tag when grouped by tag (a trace without tags under "")."""
    if "tag" not in group_by:
        return [tuple(dims[name] for name in group_by)]
    return [tuple(tag if name == "tag" else dims[name] for name in group_by) for tag in (dims["tags"] or [None])]


def _in_range(column: Any, query: MetricQuery) -> list[Any]:
    start = datetime.fromtimestamp(query.start_s, UTC)
    end = datetime.fromtimestamp(query.end_s, UTC)
    return [column >= start, column < end]


def _where(columns: dict[str, Any], query: MetricQuery) -> list[Any]:
    return [columns[name].in_(values) for name, values in query.filters.items() if name in columns]


def _needs_trace(query: MetricQuery) -> bool:
    return any(name in (*query.group_by, *query.filters) for name in ("user", "session", "release", "tag"))


def _stream(conn: Connection, statement: Any, *, mappings: bool = True) -> Iterator[Any]:
    result = conn.execution_options(stream_results=True, yield_per=STREAM_ROWS).execute(statement)
    yield from result.mappings() if mappings else result


def _observation_rows(conn: Connection, query: MetricQuery) -> Iterator[tuple[float, dict[str, Any], Cell]]:
    columns = [
        o.c.start_time, o.c.end_time, o.c.completion_start_time, o.c.prompt_tokens, o.c.completion_tokens,
        o.c.total_tokens, o.c.calculated_total_cost, o.c.total_cost, o.c.cost_status, *_OBSERVATION_COLUMNS.values(),
    ]  # fmt: skip
    conditions = [o.c.project_id == query.project_id, *_in_range(o.c.start_time, query)]
    conditions += _where(_OBSERVATION_COLUMNS, query)
    source: Any = o
    with_trace = _needs_trace(query)
    if with_trace:
        columns += [t.c.user_id.label("user"), t.c.session_id.label("session"), t.c.release, t.c.tags]
        conditions += _where(_TRACE_DIMENSIONS, query)
        source = o.join(t, t.c.id == o.c.trace_id)
    for row in _stream(conn, select(*columns).select_from(source).where(*conditions)):
        dims = dict(row)
        yield epoch_s(row["start_time"]), dims, observation_cell(dims)


def _trace_rows(conn: Connection, query: MetricQuery) -> Iterator[tuple[float, dict[str, Any], Cell]]:
    """Traces with their totals; the dimensions as the totals were derived with (what the rollups
    count them under), the session from the trace."""
    trace_columns = {
        "name": tt.c.name_key, "release": tt.c.release, "version": tt.c.version, "environment": tt.c.environment,
        "user": tt.c.user_id,
    }  # fmt: skip
    columns = [tt.c.timestamp, *_TOTALS, tt.c.tags, tt.c.models, tt.c.level_rank]
    columns += [column.label(f"d_{name}") for name, column in trace_columns.items()]
    conditions = [tt.c.project_id == query.project_id, *_in_range(tt.c.timestamp, query)]
    conditions += _where(trace_columns, query)
    if "level" in query.filters:
        conditions.append(tt.c.level_rank.in_([LEVELS.index(v) for v in query.filters["level"] if v in LEVELS]))
    source: Any = tt
    if "session" in (*query.group_by, *query.filters):
        columns.append(t.c.session_id.label("d_session"))
        conditions += _where({"session": t.c.session_id}, query)
        source = tt.join(t, t.c.id == tt.c.trace_id)
    for row in _stream(conn, select(*columns).select_from(source).where(*conditions), mappings=False):
        fields = row._mapping
        dims = {name[2:]: value for name, value in fields.items() if name.startswith("d_")}
        dims["level"] = level_name(row.level_rank)
        dims["tags"], dims["models"] = row.tags, row.models
        yield epoch_s(row.timestamp), dims, trace_cell(row)  # a row has the totals' names


_TOTALS = (
    tt.c.error_count, tt.c.priced_count, tt.c.unpriced_count, tt.c.input_tokens, tt.c.output_tokens,
    tt.c.total_tokens, tt.c.total_cost, tt.c.latency_s,
)  # fmt: skip


def _score_rows(conn: Connection, query: MetricQuery) -> Iterator[tuple[float, dict[str, Any], Cell]]:
    score_columns = {"name": s.c.name, "source": s.c.source, "type": s.c.data_type, "session": s.c.session_id}
    columns = [s.c.timestamp, s.c.value, *(column.label(name) for name, column in score_columns.items())]
    conditions = [s.c.project_id == query.project_id, *_in_range(s.c.timestamp, query)]
    conditions += _where(score_columns, query)
    source: Any = s
    if any(name in (*query.group_by, *query.filters) for name in ("user", "tag")):
        columns += [t.c.user_id.label("user"), t.c.tags]
        conditions += _where({"user": t.c.user_id}, query)
        source = s.outerjoin(t, t.c.id == s.c.trace_id)
    for row in _stream(conn, select(*columns).select_from(source).where(*conditions)):
        yield epoch_s(row["timestamp"]), dict(row), score_cell(row)
