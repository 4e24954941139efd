"""Reads of the web UI's trace page: the skeleton of a trace, one observation's details, in-trace search.

The page must open a 10,000-span trace fast, so it never reads the whole trace at once:
- the skeleton is one row per observation without inputs or outputs (they live compressed in
  `observation_payloads`, which the skeleton never touches), sent as columns (one array per
  field) so that 10,000 spans are one compact JSON document the browser parses in milliseconds;
  over `max_observations` it holds the first ones in start order and says so (`truncated`);
- one observation's input, output and metadata are read when the user selects it;
- in-trace search scans that trace's payloads only (bounded by the trace, no index needed).

Trace ids are read within the caller's project, as in `traces.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Float, func, select, type_coerce
from sqlalchemy.engine import Connection

from theodolite.errors import NotFoundError
from theodolite.query.aggregates import empty_totals, trace_totals
from theodolite.query.traces import OBSERVATION_FIELDS, TRACE_FIELDS, observation_row_to_dict
from theodolite.storage import tables
from theodolite.storage.dictionaries import load_dictionaries
from theodolite.storage.payloads import MissingDictionaryError
from theodolite.storage.trace_keys import candidate_keys, wire_trace_id

t = tables.traces
o = tables.observations
p = tables.observation_payloads
s = tables.scores

# The skeleton's columns, in the order of the SELECT (the arrays of the answer follow it). Times
# and costs are read without the TypeDecorators' per-value processing (UtcDateTime, Money): the
# offsets only need differences, the costs floats, and 10,000 rows x 3 values of processing
# cost more than the query itself.
_SKELETON_COLUMNS = (
    o.c.id,
    o.c.parent_observation_id,
    o.c.type,
    o.c.name,
    type_coerce(o.c.start_time, DateTime()).label("start_time"),
    type_coerce(o.c.end_time, DateTime()).label("end_time"),
    o.c.level,
    o.c.model,
    o.c.prompt_tokens,
    o.c.completion_tokens,
    o.c.total_tokens,
    type_coerce(func.coalesce(o.c.calculated_total_cost, o.c.total_cost), Float()).label("cost"),
    o.c.cost_status,
)
_MICROSECOND = timedelta(microseconds=1)


def _same_project(project_id: int) -> Any:
    """`project_id = ?` that no index can serve. With `ORDER BY start_time`, SQLite (without
    statistics) prefers (project_id, start_time), which reads the project's every observation in
    time order to find one trace's: seconds on a big database. This leaves it the (trace_id, id)
    index and a sort of the trace's rows."""
    return o.c.project_id + 0 == project_id


def _retrying(read: Any, *args: Any) -> Any:
    """Run `read`; once more after loading dictionaries another process trained since ours."""
    database = args[0]
    try:
        return read(*args)
    except MissingDictionaryError:
        load_dictionaries(database)
        return read(*args)


def _trace_row(conn: Connection, project_id: int, trace_id: str) -> Any:
    row = conn.execute(select(t).where(t.c.id.in_(candidate_keys(project_id, trace_id)), t.c.project_id == project_id))
    found = row.first()
    if found is None:
        raise NotFoundError(f"trace {trace_id} not found")
    return found


def trace_skeleton(database: Any, project_id: int, trace_id: str, *, max_observations: int) -> dict[str, Any]:
    """The trace's summary and its observations as columns, at most `max_observations` of them
    (the first in start order; `truncated` and `total` say when there are more). Blocks.

    Columns: `id`, `parent` (index of the parent in these arrays, -1 for a root or a parent that
    is not among them), `type`, `name`, `start_ms` (from the first observation's start),
    `duration_ms` (null while unfinished), `level`, `model`, `input_tokens`, `output_tokens`,
    `tokens`, `cost` (USD, null when unknown) and `cost_status` (`unpriced`, `not_billed`, ...:
    the page never shows an unknown cost as $0), `error` (level ERROR).
    """
    with database.connect() as conn:
        row = _trace_row(conn, project_id, trace_id)
        totals = trace_totals(conn, project_id, [row.id]).get(row.id, empty_totals() | {"latency_s": None})
        rows = conn.execute(
            select(*_SKELETON_COLUMNS)
            .where(o.c.trace_id == row.id, _same_project(project_id))
            .order_by(o.c.start_time, o.c.id)
            .limit(max_observations)
        ).all()
        score_count = conn.execute(
            select(func.count())
            .select_from(s)
            .where(s.c.trace_id.in_(candidate_keys(project_id, trace_id)), s.c.project_id == project_id)
        ).scalar_one()
    trace = {name: getattr(row, name) for name in TRACE_FIELDS}
    trace["id"] = wire_trace_id(row.id)
    trace["root_observation_id"] = row.root_observation_id
    trace["score_count"] = score_count
    trace.update(totals)
    total = totals["observation_count"]
    return {
        "trace": trace,
        "total": total,
        "truncated": len(rows) < total,
        "max_observations": max_observations,
        "trace_start": _as_utc(rows[0].start_time) if rows else row.timestamp,
        "observations": _columns(rows),
    }


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # SQLite: naive UTC


def _columns(rows: list[Any]) -> dict[str, list[Any]]:
    """Rows -> one list per field (see `trace_skeleton`): transposed in C (zip), then one list
    comprehension per field; 10,000 rows in a few ms."""
    if not rows:
        return {name: [] for name in _FIELDS}
    ids, parents, types, names, starts, ends, levels, models, inputs, outputs, totals, costs, statuses = (
        list(column) for column in zip(*rows, strict=True)
    )
    index_of = {ident: i for i, ident in enumerate(ids)}
    first = starts[0]
    return {
        "id": ids,
        "parent": [index_of.get(parent, -1) if parent is not None else -1 for parent in parents],
        "type": types,
        "name": names,
        # Whole microseconds, then milliseconds: 10.0, not 9.999000000000001.
        "start_ms": [((start - first) // _MICROSECOND) / 1000 for start in starts],
        "duration_ms": [
            ((end - start) // _MICROSECOND) / 1000 if end is not None else None
            for start, end in zip(starts, ends, strict=True)
        ],
        "level": levels,
        "model": models,
        "input_tokens": inputs,
        "output_tokens": outputs,
        "tokens": totals,
        "cost": costs,
        "cost_status": statuses,
        "error": [level == "ERROR" for level in levels],
    }


_FIELDS = ("id", "parent", "type", "name", "start_ms", "duration_ms", "level", "model", "input_tokens",
           "output_tokens", "tokens", "cost", "cost_status", "error")  # fmt: skip


def observation_detail(database: Any, project_id: int, trace_id: str, observation_id: str) -> dict[str, Any]:
    """One observation with its input, output, attributes and scores. NotFoundError when the trace is
    not in this project or has no such observation. Blocks."""
    return _retrying(_observation_detail, database, project_id, trace_id, observation_id)


def _observation_detail(database: Any, project_id: int, trace_id: str, observation_id: str) -> dict[str, Any]:
    keys = candidate_keys(project_id, trace_id)
    with database.connect() as conn:
        row = _trace_row(conn, project_id, trace_id)
        found = conn.execute(
            select(*(o.c[name] for name in OBSERVATION_FIELDS), p.c.payload)
            .outerjoin(p, p.c.observation_seq == o.c.seq)
            .where(o.c.trace_id == row.id, o.c.id == observation_id, o.c.project_id == project_id)
        ).first()
        if found is None:
            raise NotFoundError(f"trace {trace_id} has no observation {observation_id}")
        score_rows = conn.execute(
            select(s)
            .where(s.c.trace_id.in_(keys), s.c.project_id == project_id, s.c.observation_id == observation_id)
            .order_by(s.c.timestamp)
        ).all()
    item = observation_row_to_dict(found)
    payload = found.payload or {}
    item.update(input=payload.get("input"), output=payload.get("output"), attributes=payload.get("attributes"))
    item["scores"] = [
        {c: getattr(r, c) for c in r._fields if c not in ("project_id", "created_at")} | {"trace_id": item["trace_id"]}
        for r in score_rows
    ]
    return item


def search_trace(database: Any, project_id: int, trace_id: str, text: str, *, max_observations: int) -> dict[str, Any]:
    """Ids of the trace's observations whose name, input or output contains `text` (case-insensitive,
    Unicode case folding), in start order, among its first `max_observations`. Blocks.

    A scan of the trace's payloads: they are compressed (SQLite) or JSON documents whose text
    escapes differ from what a user types, so the strings are compared once decoded, in Python."""
    return _retrying(_search_trace, database, project_id, trace_id, text, max_observations)


def _search_trace(database: Any, project_id: int, trace_id: str, text: str, max_observations: int) -> dict[str, Any]:
    needle = text.casefold()
    matches: list[str] = []
    scanned = 0
    with database.connect() as conn:
        row = _trace_row(conn, project_id, trace_id)
        result = conn.execution_options(yield_per=500).execute(
            select(o.c.id, o.c.name, p.c.payload)
            .outerjoin(p, p.c.observation_seq == o.c.seq)
            .where(o.c.trace_id == row.id, _same_project(project_id))
            .order_by(o.c.start_time, o.c.id)
            .limit(max_observations)
        )
        for obs in result:
            scanned += 1
            payload = obs.payload or {}
            if (obs.name is not None and needle in obs.name.casefold()) or any(
                needle in piece.casefold() for piece in _strings((payload.get("input"), payload.get("output")))
            ):
                matches.append(obs.id)
    return {"ids": matches, "scanned": scanned}


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value: keys, string values, and numbers as text."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield str(key)
                stack.append(child)
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif item is not None and not isinstance(item, bool):
            yield str(item)
