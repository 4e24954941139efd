"""Aggregates over time on ClickHouse (what Grafana charts): the analytics API's `metric_rows` and
`cost_rows`, answering as `storage/sql/queries/analytics.py` does.

- Observations grouped and filtered by their own dimensions (the rollups' eight) read the rollup
  tables the materialised views fill: sums of the sign-aware sums, percentiles merged from the
  `quantileDD` sketches. A range's whole hours come from `rollups_hour` (when the interval is whole
  hours, or a total), its edges and finer intervals from `rollups_minute`.
- Traces grouped and filtered by the dimensions of a trace cube (name, release, version,
  environment, level; or user; or tag), and scores by name, source and type, read `trace_rollups`
  (`trace_rollups.py`), with FINAL: the cells the writer's follower recomputes, by minute and hour
  ("trace", "score") or hour (user, tag: their ranges widen to whole hours, as on SQL).
- Anything else (an observation's user, session, release or tags; traces by session, model or
  two cubes' dimensions; scores) is one GROUP BY over the raw tables read with FINAL, in the
  database: the same counting rules as the cells (`sql.py`), percentiles from a `quantileDD` of
  the raw values (1 % relative error, as the SQL histograms).

Both give per (bucket, group) the sums of a `Cell`; the rows are made by `query/metric_rows.py`, as
the SQL store makes them.
"""

from __future__ import annotations

import math
from typing import Any

from theodolite.model.rollup_cells import LEVELS, Cell
from theodolite.query.analytics_params import MEASURE_HISTOGRAM, QUANTILES, MetricQuery
from theodolite.query.metric_rows import SUM_AND_COUNT, Group, cost_rows, metric_rows, metric_value
from theodolite.storage.clickhouse.queries.sql import (
    OBSERVATION_SUMS,
    OBSERVATION_VALUES,
    SCORE_SUMS,
    SCORE_VALUES,
    TRACE_LEVEL,
    TRACE_SUMS,
    TRACE_VALUES,
    Params,
    Runner,
    finite,
    in_range,
    micros,
)
from theodolite.storage.clickhouse.schema import ROLLUP_DIMENSIONS, SKETCH_ACCURACY, TRACE_ROLLUP_SUMS
from theodolite.storage.clickhouse.trace_rollups import CUBES as TRACE_CUBES
from theodolite.storage.clickhouse.trace_rollups import SCOPES as TRACE_SCOPES
from theodolite.storage.clickhouse.trace_rollups import WITHOUT_SKETCHES
from theodolite.storage.rollups import spans as range_pieces

_FLOATS = frozenset({"cost", "latency_sum", "ttft_sum", "value_sum"})
# The rollup tables' columns of each cell sum (their sums of milliseconds say so in their names).
_ROLLUP_SUMS = {
    "n": "n", "errors": "errors", "input_tokens": "input_tokens", "output_tokens": "output_tokens",
    "total_tokens": "total_tokens", "cost": "cost", "priced": "priced", "unpriced": "unpriced",
    "latency_sum": "latency_ms_sum", "latency_n": "latency_n", "ttft_sum": "ttft_ms_sum", "ttft_n": "ttft_n",
}  # fmt: skip
_ROLLUP_SKETCHES = {"latency": "latency_ms_q", "ttft": "ttft_ms_q", "cost": "cost_q", "total_tokens": "tokens_q"}
# The trace rollups' columns (a trace has no time to first token: those sums are 0, as on raw rows).
_TRACE_SUMS = {name: name for name in (*TRACE_ROLLUP_SUMS, "cost", "value_sum")} | {"latency_sum": "latency_ms_sum"}
_TRACE_SKETCHES = {**_ROLLUP_SKETCHES, "score": "value_q"}
_TAGS = "arrayJoin(if(empty(t.tags), [''], t.tags))"  # a trace without tags counts under ''


def list_metric_rows(runner: Runner, query: MetricQuery) -> list[dict[str, Any]]:
    """Rows {"time": ms, <group>: value, "value": number|None}, by time then group. Blocks."""
    if query.aggregation in QUANTILES and query.measure in MEASURE_HISTOGRAM:
        return _quantile_rows(query, _percentiles(runner, query, QUANTILES[query.aggregation]))
    cells = list_metric_cells(runner, query)
    return metric_rows(query, cells, lambda cell: {"value": metric_value(cell, query.measure, query.aggregation)})


# The cell sums each kind of value reads (`metric_value`; `list_cost_rows`): a column store reads
# only the columns a query names, and on chdb each summed column costs about half a millisecond.
_COST_ROWS = ("n", "cost", "priced", "unpriced", "input_tokens", "output_tokens", "total_tokens")


def _needed(query: MetricQuery) -> tuple[str, ...]:
    if query.measure == "error_rate":
        return ("n", "errors")
    return ("n", *SUM_AND_COUNT.get(query.measure, ()))


def list_cost_rows(runner: Runner, query: MetricQuery) -> list[dict[str, Any]]:
    """Cost, tokens and calls per bucket and group (`analytics_lists.list_cost_rows` on SQL)."""
    return cost_rows(query, list_metric_cells(runner, query, _COST_ROWS))


def list_metric_cells(
    runner: Runner, query: MetricQuery, needed: tuple[str, ...] | None = None
) -> dict[tuple[int, Group], Cell]:
    """The summed cell of each (bucket, group) with data: the sums `needed` (by default what the
    query's measure reads), the others 0."""
    names = tuple(dict.fromkeys(needed or _needed(query)))
    params = Params(project=query.project_id)
    cube = _trace_cube(query, histogram=False)
    if _on_rollups(query):
        sums = ", ".join(f"sum({_ROLLUP_SUMS[name]}) AS {name}" for name in names)
        statement = _rollup_statement(runner, query, params, sums, [_ROLLUP_SUMS[name] for name in names])
        statement += " HAVING n != 0"  # a key whose spans were all cancelled
    elif cube is not None:
        carried = [_TRACE_SUMS[name] for name in names if name in _TRACE_SUMS]
        sums = ", ".join(
            f"sum({_TRACE_SUMS[name]}) AS {name}" if name in _TRACE_SUMS else f"0 AS {name}" for name in names
        )
        statement = _trace_rollup_statement(runner, query, params, cube, sums, carried)
    else:
        statement = _raw_statement(runner, query, params, None, names)
    cells: dict[tuple[int, Group], Cell] = {}
    width = len(query.group_by)
    for row in runner.rows(statement, params):
        cell = Cell(False)
        for name, value in zip(names, row[1 + width :], strict=True):
            setattr(cell, name, float(value or 0) if name in _FLOATS else int(value or 0))
        cells[(_bucket(query, row[0]), tuple(row[1 : 1 + width]))] = cell
    return cells


def _percentiles(runner: Runner, query: MetricQuery, q: float) -> dict[tuple[int, Group], float | None]:
    params = Params(project=query.project_id)
    cube = _trace_cube(query, histogram=True)
    if _on_rollups(query) or (cube is not None and query.measure in _TRACE_SKETCHES):
        sketch = _TRACE_SKETCHES[query.measure]
        value = f"quantileDDMerge({SKETCH_ACCURACY}, {q})({sketch}) AS value"
        if cube is None:
            statement = _rollup_statement(runner, query, params, value, [sketch])
        else:
            statement = _trace_rollup_statement(runner, query, params, cube, value, [sketch])
    else:
        statement = _raw_statement(runner, query, params, q, ())
    width = len(query.group_by)
    return {
        (_bucket(query, row[0]), tuple(row[1 : 1 + width])): finite(row[-1]) for row in runner.rows(statement, params)
    }


def _quantile_rows(query: MetricQuery, found: dict[tuple[int, Group], float | None]) -> list[dict[str, Any]]:
    if query.fill_zero:
        groups = {group for _, group in found} or ({()} if not query.group_by else set())
        for bucket in query.buckets():
            for group in groups:
                found.setdefault((bucket, group), None)
    rows = []
    for (bucket, group), value in found.items():
        row: dict[str, Any] = {"time": bucket * 1000}
        row.update(zip(query.group_by, group, strict=True))
        row["value"] = value
        rows.append(row)
    names = query.group_by
    rows.sort(key=lambda row: (row["time"], *(row[name] for name in names)))
    return rows


def _bucket(query: MetricQuery, value: Any) -> int:
    return query.start_s if query.interval_s is None else int(value)


def _bucket_of(query: MetricQuery, column: str) -> str:
    """The bucket's epoch seconds of a time column (UTC multiples of the interval); 0 for a total."""
    if query.interval_s is None:
        return "0"
    return f"intDiv(toInt64(toUnixTimestamp({column})), {query.interval_s}) * {query.interval_s}"


# -- the rollups ------------------------------------------------------------------------------


def _on_rollups(query: MetricQuery) -> bool:
    return query.scope == "observations" and set((*query.group_by, *query.filters)) <= set(ROLLUP_DIMENSIONS)


def _rollup_statement(runner: Runner, query: MetricQuery, params: Params, values: str, carried: list[str]) -> str:
    """SELECT bucket, groups, `values` over the rollup rows of the range: whole hours from the hour
    table when the interval is whole hours (or a total), the rest from the minute table. `carried`:
    the measure columns the pieces must carry (the sketch, or the sums)."""
    columns = ", ".join(["bucket", *query.group_by, *carried])
    filters = "".join(f" AND {params.one_of(name, values_)}" for name, values_ in query.filters.items())
    start, end = query.start_s, query.end_s
    pieces: list[tuple[str, list[tuple[int, int]]]] = []
    first_hour, last_hour = math.ceil(start / 3600) * 3600, end // 3600 * 3600
    if (query.interval_s is None or query.interval_s % 3600 == 0) and first_hour < last_hour:
        pieces.append(("rollups_hour", [(first_hour, last_hour)]))
        edges = [(a, b) for a, b in ((start, first_hour), (last_hour, end)) if a < b]
        if edges:
            pieces.append(("rollups_minute", edges))
    else:
        pieces.append(("rollups_minute", [(start, end)]))
    selects = []
    for table, spans in pieces:
        ranges = " OR ".join(
            f"(bucket >= toDateTime({params.add(a, 'Int64')}, 'UTC')"
            f" AND bucket < toDateTime({params.add(b, 'Int64')}, 'UTC'))"
            for a, b in spans
        )
        selects.append(
            f"SELECT {columns} FROM {runner.table(table)} WHERE project_id = {{project:UInt32}} AND ({ranges}){filters}"
        )
    groups = "".join(f", {name}" for name in query.group_by)
    return (
        f"SELECT {_bucket_of(query, 'bucket')} AS b{groups}, {values} FROM ({' UNION ALL '.join(selects)}) "
        f"GROUP BY b{groups}"
    )


def _trace_cube(query: MetricQuery, *, histogram: bool) -> str | None:
    """The cube of `trace_rollups` whose cells answer `query` (its scope, its dimensions, sketches
    if asked, a grain that divides the interval); None: read raw rows."""
    wanted = set((*query.group_by, *query.filters))
    for cube, (dimensions, grains) in TRACE_CUBES.items():
        if (
            TRACE_SCOPES[cube] == query.scope
            and wanted <= set(dimensions)
            and not (histogram and cube in WITHOUT_SKETCHES)
            and (query.interval_s is None or any(query.interval_s % grain == 0 for grain in grains))
        ):
            return cube
    return None


def _trace_rollup_statement(
    runner: Runner, query: MetricQuery, params: Params, cube: str, values: str, carried: list[str]
) -> str:
    """SELECT bucket, groups, `values` over the cube's cells of the range (FINAL: the last
    recompute's), whole hours from hour cells and the edges from minute cells where the cube has
    them (else the range widens to whole hours: `storage/rollups.spans`)."""
    groups = [f"`{name}`" for name in query.group_by]
    columns = ", ".join(["bucket", *(f"d_{name} AS `{name}`" for name in query.group_by), *carried])
    filters = "".join(f" AND {params.one_of(f'd_{name}', given)}" for name, given in query.filters.items())
    selects = [
        f"SELECT {columns} FROM {runner.table('trace_rollups')} FINAL WHERE project_id = {{project:UInt32}}"
        f" AND cube = '{cube}' AND grain_s = {grain} AND bucket >= toDateTime({params.add(start, 'Int64')}, 'UTC')"
        f" AND bucket < toDateTime({params.add(end, 'Int64')}, 'UTC'){filters}"
        for grain, start, end in _trace_pieces(query, TRACE_CUBES[cube][1])
    ]
    grouped = "".join(f", {name}" for name in groups)
    return (
        f"SELECT {_bucket_of(query, 'bucket')} AS b{grouped}, {values} FROM ({' UNION ALL '.join(selects)}) "
        f"GROUP BY b{grouped}"
    )


def _trace_pieces(query: MetricQuery, grains: tuple[int, ...]) -> list[tuple[int, int, int]]:
    pieces = range_pieces(query.start_s, query.end_s, query.interval_s, grains)
    return pieces or [(grains[0], query.start_s, query.start_s)]  # an empty range: one empty read


# -- the raw rows -----------------------------------------------------------------------------


def _value(expression: str, q: float) -> str:
    return (
        f"quantileDDIf({SKETCH_ACCURACY}, {q})(toFloat64(ifNull({expression}, 0)), ({expression}) IS NOT NULL) AS value"
    )


def _raw_statement(runner: Runner, query: MetricQuery, params: Params, q: float | None, names: tuple[str, ...]) -> str:
    """SELECT bucket, groups, the cell's sums `names` (or the `q` percentile) over the raw rows, read
    with FINAL."""
    params.values.update(start_us=micros(query.start_s), end_us=micros(query.end_s))
    wanted = (*query.group_by, *query.filters)
    if query.scope == "observations":
        dims = {name: f"o.{name}" for name in ROLLUP_DIMENSIONS}
        dims.update(user="t.user_id", session="t.session_id", release="t.release", tag=_TAGS)
        source = f"{runner.table('observations')} AS o FINAL"
        if any(name in wanted for name in ("user", "session", "release", "tag")):
            source += (
                f" INNER JOIN (SELECT id, user_id, session_id, release, tags FROM {runner.table('traces')} FINAL"
                " WHERE project_id = {project:UInt32}) AS t ON t.id = o.trace_id"
            )
        where = ["o.project_id = {project:UInt32}", in_range("o.start_time")]
        time_column, sums, values = "o.start_time", OBSERVATION_SUMS, OBSERVATION_VALUES
    elif query.scope == "traces":
        dims = {
            "name": "leftUTF8(t.name, 200)", "release": "t.release", "version": "t.version",
            "environment": "t.environment", "user": "t.user_id", "session": "t.session_id", "level": TRACE_LEVEL,
            "tag": _TAGS,
        }  # fmt: skip
        source = _traces_with_totals(runner)
        where = []
        if "model" in query.filters:
            models = params.add(list(query.filters["model"]), "Array(String)")
            where.append(  # any of its spans' response or requested models (`trace_totals.models` on SQL)
                f"t.id IN (SELECT trace_id FROM {runner.table('observations')} FINAL WHERE project_id = "
                f"{{project:UInt32}} AND (model IN {models} OR request_model IN {models}))"
            )
        if "level" in query.filters:
            ranks = [LEVELS.index(value) for value in query.filters["level"] if value in LEVELS]
            where.append(f"tt.level_rank IN {params.add(ranks, 'Array(UInt8)')}")
        time_column, sums, values = "t.timestamp", TRACE_SUMS, TRACE_VALUES
    else:
        dims = {
            "name": "s.name", "source": "s.source", "type": "s.data_type", "session": "s.session_id",
            "user": "t.user_id", "tag": _TAGS,
        }  # fmt: skip
        source = f"{runner.table('scores')} AS s FINAL"
        if "user" in wanted or "tag" in wanted:
            source += (
                f" LEFT JOIN (SELECT id, user_id, tags FROM {runner.table('traces')} FINAL"
                " WHERE project_id = {project:UInt32}) AS t ON t.id = s.trace_id"
            )
        where = ["s.project_id = {project:UInt32}", in_range("s.timestamp")]
        time_column, sums, values = "s.timestamp", SCORE_SUMS, SCORE_VALUES
    for name, given in query.filters.items():
        if name == "tag":
            where.append(f"hasAny(t.tags, {params.add(list(given), 'Array(String)')})")
        elif name not in ("level", "model") or query.scope != "traces":
            where.append(params.one_of(dims[name], given))
    groups = "".join(f", {dims[name]} AS g_{name}" for name in query.group_by)
    group_names = "".join(f", g_{name}" for name in query.group_by)
    if q is None:
        measured = ", ".join(f"{sums.get(name, '0')} AS {name}" for name in names)
    else:
        measured = _value(values[query.measure], q)
    return (
        f"SELECT {_bucket_of(query, time_column)} AS b{groups}, {measured} FROM {source}"
        f"{' WHERE ' + ' AND '.join(where) if where else ''} GROUP BY b{group_names}"
    )


def _traces_with_totals(runner: Runner) -> str:
    """Traces of the range (FINAL) with their totals (a trace without spans yet has none: zeros, no
    cost, no latency, level rank 0, as its SQL totals row), merged per trace: `trace_totals` is an
    AggregatingMergeTree whose rows of one trace are merged only some time after the inserts, and
    FINAL merges them on read. The totals are not narrowed to the range's traces first: on 1M spans
    an `IN (traces of the range)` cost 140 ms of a 215 ms query, reading every trace's totals 15 ms."""
    return (
        "(SELECT id, timestamp, name, release, version, environment, user_id, session_id, tags"
        f" FROM {runner.table('traces')} FINAL WHERE project_id = {{project:UInt32}} AND {in_range('timestamp')}) AS t"
        " LEFT JOIN (SELECT trace_id, first_start, last_end, observation_count, input_tokens, output_tokens,"
        " total_tokens, total_cost, priced_count, unpriced_count, error_count, level_rank"
        f" FROM {runner.table('trace_totals')} FINAL WHERE project_id = {{project:UInt32}}) AS tt ON tt.trace_id = t.id"
    )
