"""Reads of traces: the filtered, paginated list and one trace with its observation tree.

Trace ids are read within the caller's project: a wire id maps to its storage keys
(`storage.trace_keys`) and every key read maps back to the wire id before it leaves.

The list is newest first by trace timestamp, the earliest span start seen, which a late span
can move earlier: below the cursor, so plain keyset pagination would return that trace again
on a later page. So the first page records a snapshot, the observations.seq watermark read
before the page, and the cursor carries it; later pages leave out the traces created or moved
since (`traces.timestamp_seq` above the snapshot). Such a trace is missing from that scroll
(a new list shows it), never returned twice; the traces that did not move page exactly. A
lossless scheme would need each trace's place as of the snapshot, i.e. its timestamp history.
The watermark is exact with one writer (how Theodolite writes); two servers writing one
PostgreSQL can commit seqs out of order, and a moved trace could then repeat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select

from theodolite.errors import NotFoundError
from theodolite.query.aggregates import empty_totals, trace_totals
from theodolite.query.pagination import decode_snapshot_cursor, encode_cursor
from theodolite.storage import tables
from theodolite.storage.dictionaries import load_dictionaries
from theodolite.storage.engine import Database
from theodolite.storage.expressions import json_array_contains
from theodolite.storage.payloads import MissingDictionaryError
from theodolite.storage.trace_keys import candidate_keys, wire_trace_id

t = tables.traces
o = tables.observations
p = tables.observation_payloads
s = tables.scores

TRACE_FIELDS = (
    "id",
    "timestamp",
    "name",
    "user_id",
    "session_id",
    "release",
    "version",
    "environment",
    "tags",
    "metadata",
)


@dataclass(slots=True)
class TraceFilter:
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    name: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    tags: list[str] = field(default_factory=list)  # all must be present
    model: str | None = None  # some observation used this model
    level: str | None = None  # some observation has this level
    release: str | None = None
    environment: str | None = None


def list_traces(
    database: Database, project_id: int, filters: TraceFilter, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Traces newest first with their totals; returns (page, next cursor or None). Blocks."""
    conditions = [t.c.project_id == project_id]
    if filters.start is not None:
        conditions.append(t.c.timestamp >= filters.start)
    if filters.end is not None:
        conditions.append(t.c.timestamp < filters.end)
    for column, value in (
        (t.c.name, filters.name),
        (t.c.user_id, filters.user_id),
        (t.c.session_id, filters.session_id),
        (t.c.release, filters.release),
        (t.c.environment, filters.environment),
    ):
        if value is not None:
            conditions.append(column == value)
    for tag in filters.tags:
        conditions.append(json_array_contains(t.c.tags, tag, database.dialect_name))
    if filters.model is not None:
        conditions.append(
            exists().where(o.c.trace_id == t.c.id, o.c.project_id == project_id, o.c.model == filters.model)
        )
    if filters.level is not None:
        conditions.append(
            exists().where(o.c.trace_id == t.c.id, o.c.project_id == project_id, o.c.level == filters.level.upper())
        )
    snapshot = None
    if cursor is not None:
        when, ident, snapshot = decode_snapshot_cursor(cursor)
        conditions.append(or_(t.c.timestamp < when, and_(t.c.timestamp == when, t.c.id < ident)))
        if snapshot is not None:
            conditions.append(t.c.timestamp_seq <= snapshot)
    statement = (
        select(*(t.c[name] for name in TRACE_FIELDS))
        .where(*conditions)
        .order_by(t.c.timestamp.desc(), t.c.id.desc())
        .limit(limit + 1)
    )
    with database.connect() as conn:
        if snapshot is None:
            # Before the page: a commit between the two reads is then above the snapshot, and
            # its traces are left out of later pages rather than shown twice.
            snapshot = conn.execute(select(func.coalesce(func.max(o.c.seq), 0))).scalar_one()
        rows = conn.execute(statement).all()
        page = rows[:limit]
        totals = trace_totals(conn, project_id, [row.id for row in page])
    items = []
    for row in page:
        item = {name: getattr(row, name) for name in TRACE_FIELDS}
        item["id"] = wire_trace_id(row.id)
        item.update(totals.get(row.id, empty_totals() | {"latency_s": None}))
        items.append(item)
    next_cursor = encode_cursor(page[-1].timestamp, page[-1].id, snapshot) if len(rows) > limit else None
    return items, next_cursor


OBSERVATION_FIELDS = tuple(c.name for c in o.columns if c.name != "project_id")


def observation_row_to_dict(row: Any) -> dict[str, Any]:
    item = {name: getattr(row, name) for name in OBSERVATION_FIELDS}
    item["trace_id"] = wire_trace_id(item["trace_id"])
    start, end = item["start_time"], item["end_time"]
    item["latency_s"] = (end - start).total_seconds() if end is not None else None
    first = item["completion_start_time"]
    item["time_to_first_token_s"] = (first - start).total_seconds() if first is not None else None
    return item


def get_trace(database: Database, project_id: int, trace_id: str) -> dict[str, Any]:
    """One trace with its observations as a tree (children by start time) and its scores.

    Raises NotFoundError if the trace does not exist *in this project*. Blocks.
    """
    try:
        return _get_trace(database, project_id, trace_id)
    except MissingDictionaryError:
        load_dictionaries(database)  # another process trained one since we loaded ours
        return _get_trace(database, project_id, trace_id)


def _get_trace(database: Database, project_id: int, trace_id: str) -> dict[str, Any]:
    keys = candidate_keys(project_id, trace_id)
    with database.connect() as conn:
        row = conn.execute(select(t).where(t.c.id.in_(keys), t.c.project_id == project_id)).first()
        if row is None:
            raise NotFoundError(f"trace {trace_id} not found")
        observation_rows = conn.execute(
            select(*(o.c[name] for name in OBSERVATION_FIELDS), p.c.payload)
            .outerjoin(p, p.c.observation_seq == o.c.seq)
            .where(o.c.trace_id == row.id, o.c.project_id == project_id)
            .order_by(o.c.start_time, o.c.id)
        ).all()
        # Scores sent before the trace may still wait under the wire id (storage.writer).
        score_rows = conn.execute(
            select(s).where(s.c.trace_id.in_(keys), s.c.project_id == project_id).order_by(s.c.timestamp)
        ).all()
        totals = trace_totals(conn, project_id, [row.id]).get(row.id, empty_totals() | {"latency_s": None})
    trace = {name: getattr(row, name) for name in TRACE_FIELDS}
    trace["id"] = wire_trace_id(row.id)
    trace["root_observation_id"] = row.root_observation_id
    trace.update(totals)
    nodes: dict[str, dict[str, Any]] = {}
    for obs in observation_rows:
        node = observation_row_to_dict(obs)
        payload = obs.payload or {}
        node.update(
            input=payload.get("input"), output=payload.get("output"), attributes=payload.get("attributes"), children=[]
        )
        nodes[node["id"]] = node
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent_observation_id"]) if node["parent_observation_id"] else None
        (parent["children"] if parent is not None else roots).append(node)
    trace["observations"] = roots
    trace["scores"] = [
        {c: getattr(r, c) for c in r._fields if c not in ("project_id", "created_at")} | {"trace_id": trace["id"]}
        for r in score_rows
    ]
    return trace
