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

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.engine import Connection

from theodolite.errors import BadRequestError, NotFoundError
from theodolite.query.aggregates import empty_totals, trace_totals
from theodolite.query.pagination import decode_snapshot_cursor, encode_cursor
from theodolite.storage import tables
from theodolite.storage.dictionaries import load_dictionaries
from theodolite.storage.engine import Database
from theodolite.storage.expressions import json_array_contains
from theodolite.storage.facets import UNINDEXED_LEVEL, facet_condition, facet_rows_counted, indexable
from theodolite.storage.payloads import MissingDictionaryError
from theodolite.storage.search import matching_traces, search_condition
from theodolite.storage.search_text import SearchQuery, SearchQueryError, parse_query
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
    model: str | None = None  # some observation asked for or answered with this model
    level: str | None = None  # some observation has this level
    release: str | None = None
    environment: str | None = None
    search: str | None = None  # full-text, in inputs and outputs (storage/search_text.py)


# A search matching at most this many of the project's observations is "rare": their traces are
# read from the index and sorted (a few ms); above it, the list reads traces newest first as without
# a search and checks each one's documents, and enough match early (at least 1 observation in 500
# matches). Reading the first 2,000 matches to decide costs ~6 ms on 1,000,000 demo observations
# (bench/list_api.py); 10,000 cost 29 ms, paid by every common search.
RARE_SEARCH_ROWS = 2_000


def list_traces(
    database: Database, project_id: int, filters: TraceFilter, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Traces newest first with their totals; returns (page, next cursor or None). Blocks.

    Filters on what observations carry (model, level) and on tags read `trace_facets`, whose rows
    are keyed by the trace's (timestamp, id). Either one facet's rows drive the query (one index range, already
    in the list's order) and every other filter is checked per row, or the traces' own indexes
    drive it and each facet is a lookup of its whole key per trace: `_driving_facet` chooses.
    """
    level = filters.level.upper() if filters.level is not None else None
    facets = [(kind, value) for kind, value in (("model", filters.model), ("level", level)) if value is not None]
    if level == UNINDEXED_LEVEL:
        facets.pop()
    facets += [("tag", tag) for tag in filters.tags]
    facets = [(kind, value) for kind, value in facets if indexable(value)]  # the rest: read the rows
    position = decode_snapshot_cursor(cursor) if cursor is not None else None
    snapshot = position[2] if position is not None else None
    search = _parse_search(filters.search)
    with database.connect() as conn:
        if snapshot is None:
            # Before the page: a commit between the two reads is then above the snapshot, and
            # its traces are left out of later pages rather than shown twice.
            snapshot = conn.execute(select(func.coalesce(func.max(o.c.seq), 0))).scalar_one()
        searched, rare = (
            (None, False) if search is None else _search_plan(conn, database.dialect_name, project_id, search)
        )
        # Traces that a rare search names are few: they drive the list, every facet is a lookup.
        driving = None if rare else _driving_facet(conn, project_id, filters, facets)
        probed = [facet for facet in facets if facet != driving]
        statement = _list_statement(database, project_id, filters, driving, probed, limit, position, searched)
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


def _parse_search(text: str | None) -> SearchQuery | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_query(text)
    except SearchQueryError as exc:
        raise BadRequestError(f"search: {exc}") from exc


def _search_plan(conn: Connection, dialect: str, project_id: int, search: SearchQuery) -> tuple[Any, bool]:
    """(the condition a listed trace meets, whether the search is rare). Rare: the trace is one of
    those the index names, each then read by its key; common: the trace's own documents match.
    One bounded read of the index decides."""
    first = matching_traces(dialect, project_id, search, RARE_SEARCH_ROWS + 1)
    if dialect == "sqlite":  # SQLite reads the index again inside the list, cheaply: count here
        if conn.execute(select(func.count()).select_from(first.subquery())).scalar_one() <= RARE_SEARCH_ROWS:
            return t.c.id.in_(matching_traces(dialect, project_id, search, None)), True
    else:
        # PostgreSQL: the keys themselves, so the list reads those traces by primary key; with the
        # index's query inside the list it planned a scan (300-460 ms for 1,500 matches).
        keys = conn.execute(first).scalars().all()
        if len(keys) <= RARE_SEARCH_ROWS:
            return t.c.id.in_(sorted(set(keys))), True
    return search_condition(dialect, project_id, search, t.c.id), False


# A facet with at least this many rows is "common": when trace columns are filtered too, scanning
# the traces' index (which tests those columns inside it) beats probing a trace per facet row.
COMMON_FACET_ROWS = 5_000


def _driving_facet(
    conn: Connection, project_id: int, filters: TraceFilter, facets: list[tuple[str, str]]
) -> tuple[str, str] | None:
    """The facet whose rows should drive the list, or None for the traces' indexes.

    A user or a session has its own trace index, narrow by nature: that drives. Otherwise the
    facet with the fewest rows (counted up to COMMON_FACET_ROWS, a bounded index range) drives,
    unless it is common and a trace column (name, release, environment) is filtered too.
    """
    if not facets or filters.user_id is not None or filters.session_id is not None:
        return None
    counts = {
        facet: conn.execute(facet_rows_counted(project_id, *facet, COMMON_FACET_ROWS)).scalar_one() for facet in facets
    }
    rarest = min(facets, key=lambda facet: counts[facet])
    trace_columns = filters.name or filters.release or filters.environment
    if trace_columns and counts[rarest] >= COMMON_FACET_ROWS:
        return None
    return rarest


def _list_statement(
    database: Database,
    project_id: int,
    filters: TraceFilter,
    driving: tuple[str, str] | None,
    probed: list[tuple[str, str]],
    limit: int,
    position: tuple[datetime, str, int | None] | None,
    searched: Any = None,
) -> Select[Any]:
    """`position`: the decoded cursor (timestamp, storage key, snapshot) of a later page, the
    snapshot None for an older server's cursor. `searched`: the condition of a search, if any
    (`_search_plan`)."""
    level = filters.level.upper() if filters.level is not None else None
    driver = tables.trace_facets.alias("driver") if driving is not None else None
    when_column, id_column = (driver.c.timestamp, driver.c.trace_id) if driver is not None else (t.c.timestamp, t.c.id)
    conditions = [t.c.project_id == project_id]
    if driver is not None and driving is not None:
        conditions += [driver.c.project_id == project_id, driver.c.kind == driving[0], driver.c.value == driving[1]]
    if filters.start is not None:
        conditions.append(when_column >= filters.start)
    if filters.end is not None:
        conditions.append(when_column < filters.end)
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
        if not indexable(tag):
            conditions.append(json_array_contains(t.c.tags, tag, database.dialect_name))
    if filters.model is not None and not indexable(filters.model):
        model = filters.model
        conditions.append(
            exists().where(
                o.c.trace_id == t.c.id,
                o.c.project_id == project_id,
                or_(o.c.model == model, o.c.request_model == model),
            )
        )
    for kind, value in probed:
        conditions.append(facet_condition(kind, value, project_id, when_column, id_column))
    if searched is not None:
        conditions.append(searched)
    if level == UNINDEXED_LEVEL:  # nearly every trace has one: the first traces probed answer
        conditions.append(exists().where(o.c.trace_id == t.c.id, o.c.project_id == project_id, o.c.level == level))
    if position is not None:
        when, ident, snapshot = position
        conditions.append(or_(when_column < when, and_(when_column == when, id_column < ident)))
        if snapshot is not None:
            conditions.append(t.c.timestamp_seq <= snapshot)
    # Not `t.timestamp == driver.timestamp` too: PostgreSQL then takes the two equalities as
    # independent, expects one row from the join and hashes every facet row (140 ms, was 10).
    source = t if driver is None else driver.join(t, and_(t.c.id == driver.c.trace_id, t.c.project_id == project_id))
    return (
        select(*(t.c[name] for name in TRACE_FIELDS))
        .select_from(source)
        .where(*conditions)
        .order_by(when_column.desc(), id_column.desc())
        .limit(limit + 1)
    )


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
