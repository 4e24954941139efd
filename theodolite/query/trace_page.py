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
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
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

# The skeleton's columns, in the order of the SELECT (the arrays of the answer follow it).
_SKELETON_COLUMNS = (
    o.c.id,
    o.c.parent_observation_id,
    o.c.type,
    o.c.name,
    o.c.start_time,
    o.c.end_time,
    o.c.level,
    o.c.model,
    o.c.prompt_tokens,
    o.c.completion_tokens,
    o.c.total_tokens,
    func.coalesce(o.c.calculated_total_cost, o.c.total_cost).label("cost"),
    o.c.cost_status,
)


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
            .where(o.c.trace_id == row.id, o.c.project_id == project_id)
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
        "trace_start": rows[0].start_time if rows else row.timestamp,
        "observations": _columns(rows),
    }


def _columns(rows: list[Any]) -> dict[str, list[Any]]:
    """Rows -> one list per field (see `trace_skeleton`). One pass, plain lists: 10,000 rows in a few ms."""
    index_of = {r.id: i for i, r in enumerate(rows)}
    first: datetime | None = rows[0].start_time if rows else None
    ids, parents, types, names, starts, durations, levels, models = [], [], [], [], [], [], [], []
    input_tokens, output_tokens, tokens, costs, statuses, errors = [], [], [], [], [], []
    for r in rows:
        ids.append(r.id)
        parents.append(index_of.get(r.parent_observation_id, -1) if r.parent_observation_id else -1)
        types.append(r.type)
        names.append(r.name)
        starts.append(round((r.start_time - first).total_seconds() * 1000, 3))  # type: ignore[operator]
        durations.append(
            round((r.end_time - r.start_time).total_seconds() * 1000, 3) if r.end_time is not None else None
        )
        levels.append(r.level)
        models.append(r.model)
        input_tokens.append(r.prompt_tokens)
        output_tokens.append(r.completion_tokens)
        tokens.append(r.total_tokens)
        costs.append(float(r.cost) if r.cost is not None else None)
        statuses.append(r.cost_status)
        errors.append(r.level == "ERROR")
    return {
        "id": ids,
        "parent": parents,
        "type": types,
        "name": names,
        "start_ms": starts,
        "duration_ms": durations,
        "level": levels,
        "model": models,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "tokens": tokens,
        "cost": costs,
        "cost_status": statuses,
        "error": errors,
    }


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
            .where(o.c.trace_id == row.id, o.c.project_id == project_id)
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
