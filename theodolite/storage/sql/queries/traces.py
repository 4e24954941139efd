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

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select, tuple_
from sqlalchemy.engine import Connection

from theodolite.errors import NotFoundError
from theodolite.query.filters import TraceFilter
from theodolite.query.pagination import decode_snapshot_cursor, encode_cursor
from theodolite.query.sort_keysets import decode_sorted_cursor, encode_sorted_cursor, segments
from theodolite.query.totals import empty_totals, totals_from_row
from theodolite.storage import tables
from theodolite.storage.dictionaries import load_dictionaries
from theodolite.storage.engine import Database
from theodolite.storage.expressions import json_array_contains
from theodolite.storage.facets import UNINDEXED_LEVEL, facet_condition, facet_rows_counted, indexable
from theodolite.storage.payloads import MissingDictionaryError
from theodolite.storage.search import highest_mark, matching_traces, search_condition
from theodolite.storage.search_text import SearchQuery, parse_search_filter
from theodolite.storage.sql.queries.aggregates import trace_totals
from theodolite.storage.sql.queries.sorted_chunks import read_segment, reads_chunks, with_traces
from theodolite.storage.sql.queries.trace_sorts import (
    page_keys,
    score_condition,
    score_matches,
    segment_statement,
    small_set,
    trace_columns,
)
from theodolite.storage.trace_keys import candidate_keys, wire_trace_id

t = tables.traces
o = tables.observations
p = tables.observation_payloads
s = tables.scores
tt = tables.trace_totals
sc = tables.trace_scores

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


def list_traces(
    database: Database, project_id: int, filters: TraceFilter, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Traces newest first with their totals; returns (page, next cursor or None). Blocks.

    Filters on what observations carry (model, level) and on tags read `trace_facets`, whose rows
    are keyed by the trace's (timestamp, id). Either one facet's rows drive the query (one index range, already
    in the list's order) and every other filter is checked per row, or the traces' own indexes
    drive it and each facet is a lookup of its whole key per trace: `_driving_facet` chooses.
    Another order, or a filter on cost, latency or scores, reads `trace_totals` (`trace_sorts.py`).
    """
    search = parse_search_filter(filters.search)
    if filters.on_totals():
        return _list_sorted(database, project_id, filters, search, limit, cursor)
    facets = _facets(filters)  # the rest: read the rows
    position = decode_snapshot_cursor(cursor) if cursor is not None else None
    snapshot = position[2] if position is not None else None
    with database.connect() as conn:
        if snapshot is None:
            # Before the page: a commit between the two reads is then above the snapshot, and
            # its traces are left out of later pages rather than shown twice.
            snapshot = current_mark(conn)
        searched, rare = (
            (None, False) if search is None else _search_plan(conn, database.dialect_name, project_id, search)
        )
        # Traces that a rare search names are few: they drive the list, every facet is a lookup.
        driving = None if rare else _driving_facet(conn, project_id, filters, facets)
        probed = [facet for facet in facets if facet != driving]
        statement = _list_statement(database, project_id, filters, driving, probed, limit, position, searched)
        rows = conn.execute(statement).all()
        page = rows[:limit]
        totals = _stored_totals(conn, project_id, [(row.timestamp, row.id) for row in page])
        scores = score_means(conn, project_id, [row.id for row in page])
    items = [_item(row, totals.get(row.id), scores.get(row.id, {})) for row in page]
    next_cursor = encode_cursor(page[-1].timestamp, page[-1].id, snapshot) if len(rows) > limit else None
    return items, next_cursor


# A search matching at most this many of the project's observations is "rare": their traces are
# read from the index and sorted (a few ms); above it, the list reads traces newest first as without
# a search and checks each one's documents, and enough match early (at least 1 observation in 500
# matches). Reading the first 2,000 matches to decide costs ~6 ms on 1,000,000 demo observations
# (bench/list_api.py); 10,000 cost 29 ms, paid by every common search.
RARE_SEARCH_ROWS = 2_000


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


def _item(row: Any, totals: Any, scores: dict[str, float]) -> dict[str, Any]:
    """The API's trace summary from a `traces` row and its `trace_totals` row."""
    item = {name: getattr(row, name) for name in TRACE_FIELDS}
    item["id"] = wire_trace_id(row.id)
    item.update(totals_from_row(totals) if totals is not None else empty_totals())
    item["latency_s"] = totals.latency_s if totals is not None else None
    item["scores"] = scores
    return item


def _stored_totals(conn: Connection, project_id: int, keys: list[tuple[datetime, str]]) -> dict[str, Any]:
    """The `trace_totals` rows of a page of traces: one primary-key lookup each."""
    if not keys:
        return {}
    if conn.dialect.name == "postgresql":  # one index probe per (timestamp, key) pair
        query = select(tt).where(
            tuple_(tt.c.project_id, tt.c.timestamp, tt.c.trace_id).in_([(project_id, w, k) for w, k in keys])
        )
    else:
        # Two IN lists: SQLite answers an IN of (timestamp, key) pairs with a scan. A key is one
        # trace, with one timestamp, so the cross product matches no other row.
        query = select(tt).where(
            tt.c.project_id == project_id,
            tt.c.timestamp.in_({when for when, _ in keys}),
            tt.c.trace_id.in_([key for _, key in keys]),
        )
    return {row.trace_id: row for row in conn.execute(query)}


def score_means(conn: Connection, project_id: int, keys: list[str]) -> dict[str, dict[str, float]]:
    """{trace key: {score name: mean value}} for a page of traces."""
    found: dict[str, dict[str, float]] = {}
    if keys:
        query = select(sc.c.trace_id, sc.c.name, sc.c.value).where(
            sc.c.project_id == project_id, sc.c.trace_id.in_(keys)
        )
        for trace_id, name, value in conn.execute(query):
            found.setdefault(trace_id, {})[name] = value
    return found


def _list_sorted(
    database: Database,
    project_id: int,
    filters: TraceFilter,
    search: SearchQuery | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Any order, any filter, through `trace_totals` (see `trace_sorts.py`). A search is one more
    candidate set: a rare one drives like a small filter; the search's condition holds either way."""
    sort = filters.sort
    position = decode_sorted_cursor(cursor, sort) if cursor is not None else None
    segment, after, snapshot = position if position is not None else (0, None, None)
    with database.connect() as conn:
        driver, driving = small_set(conn, _candidates(database.dialect_name, project_id, filters, search))
    if driver == []:
        return [], None  # a filter no trace matches
    probed = [facet for facet in _facets(filters) if facet != driving]  # the driver's own: all match
    totals_conditions = _totals_conditions(filters, hidden=driver is None)
    columns = [t.c[name] for name in TRACE_FIELDS]  # the page's totals are read after, by key
    with database.connect() as conn:
        if snapshot is None:
            snapshot = current_mark(conn)
        later = snapshot if position else None  # a first page takes every trace, a later one its snapshot's
        chunked = reads_chunks(sort, driver)
        if chunked:
            read = _chunk_reader(conn, database, project_id, filters, search, totals_conditions, later)
        else:
            read = _statement_reader(conn, database, project_id, filters, search, probed, totals_conditions,
                                     columns, driver, later)  # fmt: skip
        rows: list[tuple[int, Any]] = []
        for current in segments(sort):  # from the cursor's segment on: those with the value, then without
            if current < segment:
                continue
            rows += [
                (current, row) for row in read(current, after if current == segment else None, limit + 1 - len(rows))
            ]
            if len(rows) > limit:
                break
        if chunked:
            rows = with_traces(conn, project_id, rows, columns)
        page = rows[:limit]
        totals = _stored_totals(conn, project_id, [(row.timestamp, row.id) for _, row in page])
        scores = score_means(conn, project_id, [row.id for _, row in page])
    items = [_item(row, totals.get(row.id), scores.get(row.id, {})) for _, row in page]
    next_cursor = None
    if len(rows) > limit:
        last_segment, last = page[-1]
        next_cursor = encode_sorted_cursor(sort, last_segment, page_keys(last, sort, last_segment), snapshot)
    return items, next_cursor


def _totals_conditions(filters: TraceFilter, *, hidden: bool) -> list[Any]:
    """The cost and latency bounds, on `trace_totals`. `hidden`: without a small set the sort's own
    order must drive; SQLite would rather use an index that a bound can search (then sort all it
    finds): coalesce(x, x) is x to any reader, and searchable by no index."""
    conditions = []
    for column, bound, above in (
        (tt.c.total_cost, filters.cost_min, True),
        (tt.c.total_cost, filters.cost_max, False),
        (tt.c.latency_s, filters.latency_min, True),
        (tt.c.latency_s, filters.latency_max, False),
    ):
        if bound is not None:
            value = func.coalesce(column, column) if hidden else column
            conditions.append(value >= bound if above else value <= bound)
    return conditions


SegmentReader = Callable[[int, "list[Any] | None", int], list[Any]]


def _statement_reader(
    conn: Connection,
    database: Database,
    project_id: int,
    filters: TraceFilter,
    search: SearchQuery | None,
    probed: list[tuple[str, str]],
    totals_conditions: list[Any],
    columns: list[Any],
    driver: list[str] | None,
    snapshot: int | None,
) -> SegmentReader:
    """(segment, keyset, wanted) -> rows, each segment of the order read by one statement
    (`trace_sorts.segment_statement`): time, user, session and score orders, and small sets."""
    sort = filters.sort
    when_column, id_column = trace_columns(sort, driver)
    # Without a small set the order's index must drive: the range is hidden from the planner too.
    range_column = when_column if sort.name == "time" or driver is not None else func.coalesce(when_column, when_column)
    conditions = _conditions(database, project_id, filters, when_column, id_column, probed, range_column=range_column)
    if search is not None:
        conditions.append(search_condition(database.dialect_name, project_id, search, id_column))
    conditions += [score_condition(score, project_id, id_column) for score in filters.scores]

    def read(segment: int, keyset: list[Any] | None, wanted: int) -> list[Any]:
        statement = segment_statement(
            sort, segment, project_id, conditions, totals_conditions, columns, keyset, snapshot, wanted, driver,
            database.dialect_name,
        )  # fmt: skip
        return list(conn.execute(statement))

    return read


def _chunk_reader(
    conn: Connection,
    database: Database,
    project_id: int,
    filters: TraceFilter,
    search: SearchQuery | None,
    totals_conditions: list[Any],
    snapshot: int | None,
) -> SegmentReader:
    """The same for an order on a `trace_totals` value, read in chunks (`sorted_chunks.py`); its
    rows carry the trace key, not the trace (`with_traces` adds it). On `trace_totals` itself: the
    time range, the bounds, and each filter with an index of its own as a set of keys (`trace_id
    IN (SELECT ...)`, read once per statement; on SQLite a facet as a lookup of its whole key, the
    row's timestamp and key): so a filter that the order's first rows rarely meet, such as a cheap
    model under `sort=cost`, costs one pass, not chunk after chunk. The filters on the traces' own
    columns are checked on each chunk's traces."""
    sort = filters.sort
    on_totals = [tt.c.timestamp >= filters.start] if filters.start is not None else []
    on_totals += [tt.c.timestamp < filters.end] if filters.end is not None else []
    on_totals += totals_conditions
    for facet, candidate in _key_sets(database.dialect_name, project_id, filters, search):
        if facet is not None and facet[0] == "model" and database.dialect_name == "sqlite":
            # A substring of the row's own `models`: `sort=cost` + the cheapest model on the 1M
            # demo took 124 ms p95 as a lookup of the facet per row, 189 as an IN of 85,000 keys.
            on_totals.append(tt.c.models.contains(f"|{facet[1]}|", autoescape=True))
        elif facet is not None and database.dialect_name == "sqlite":
            # One lookup of the facet's whole key per row. PostgreSQL hashes the IN: 91 ms on the
            # 1M demo, 101 as lookups.
            on_totals.append(facet_condition(*facet, project_id, tt.c.timestamp, tt.c.trace_id))
        else:
            on_totals.append(tt.c.trace_id.in_(candidate))
    rest = replace(filters, start=None, end=None, user_id=None, session_id=None)
    conditions = _conditions(database, project_id, rest, t.c.timestamp, t.c.id, [])

    def passing(chunk_conn: Connection, keys: list[str]) -> set[str]:
        # No `project_id` test: a storage key is one project's (`trace_keys.py`), and with one
        # SQLite read the project's traces by that index and tested each against the keys.
        query = select(t.c.id).where(t.c.id.in_(keys), *conditions)
        return set(chunk_conn.execute(query).scalars())

    check = passing if conditions else None

    def read(segment: int, keyset: list[Any] | None, wanted: int) -> list[Any]:
        return read_segment(conn, sort, segment, project_id, on_totals, check, keyset, snapshot, wanted)

    return read


def _key_sets(dialect: str, project_id: int, filters: TraceFilter, search: SearchQuery | None) -> list[tuple[Any, Any]]:
    """(facet or None, a SELECT of the matching trace keys) for each filter with an index of its
    own, but the time range and the cost and latency bounds (which hold on `trace_totals` itself)."""
    on_traces = replace(filters, start=None, end=None, cost_min=None, cost_max=None, latency_min=None, latency_max=None)
    return _candidates(dialect, project_id, on_traces, search)


def _candidates(
    dialect: str, project_id: int, filters: TraceFilter, search: SearchQuery | None
) -> list[tuple[Any, Any]]:
    """(tag, a SELECT of the matching trace keys) for each filter with an index of its own; a facet's
    tag is the facet (its own probe is then left out)."""
    candidates: list[tuple[Any, Any]] = []
    if search is not None:  # one row per matching observation: DISTINCT, or a key would drive twice
        candidates.append((None, matching_traces(dialect, project_id, search, None).distinct()))
    f = tables.trace_facets
    for kind, value in _facets(filters):
        keys = select(f.c.trace_id).where(f.c.project_id == project_id, f.c.kind == kind, f.c.value == value)
        candidates.append(((kind, value), keys))
    for column, value in ((t.c.user_id, filters.user_id), (t.c.session_id, filters.session_id)):
        if value is not None:
            candidates.append(
                (None, select(t.c.id.label("trace_id")).where(t.c.project_id == project_id, column == value))
            )
    if filters.start is not None or filters.end is not None:
        span = [tt.c.project_id == project_id]
        span += [tt.c.timestamp >= filters.start] if filters.start is not None else []
        span += [tt.c.timestamp < filters.end] if filters.end is not None else []
        candidates.append((None, select(tt.c.trace_id).where(*span)))
    for column, low, high in (
        (tt.c.total_cost, filters.cost_min, filters.cost_max),
        (tt.c.latency_s, filters.latency_min, filters.latency_max),
    ):
        if low is not None or high is not None:
            bounds = [column >= low] if low is not None else []
            bounds += [column <= high] if high is not None else []
            candidates.append((None, select(tt.c.trace_id).where(tt.c.project_id == project_id, *bounds)))
    for score in filters.scores:
        candidates.append((None, select(sc.c.trace_id).where(sc.c.project_id == project_id, score_matches(score))))
    return candidates


def current_mark(conn: Connection) -> int:
    """The snapshot of a list's first page: the highest commit mark stored (an observation's seq, the
    mark of a commit of scores only, or of a commit that stored no observation: `last_mark`)."""
    return highest_mark(conn)


def _facets(filters: TraceFilter) -> list[tuple[str, str]]:
    """The indexed facets (`trace_facets`) of the filters: model, level (not the default one), tags."""
    level = filters.level.upper() if filters.level is not None else None
    facets = [(kind, value) for kind, value in (("model", filters.model), ("level", level)) if value is not None]
    if level == UNINDEXED_LEVEL:
        facets.pop()
    facets += [("tag", tag) for tag in filters.tags]
    return [(kind, value) for kind, value in facets if indexable(value)]


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


def _conditions(
    database: Database,
    project_id: int,
    filters: TraceFilter,
    when_column: Any,
    id_column: Any,
    probed: list[tuple[str, str]],
    range_column: Any = None,
) -> list[Any]:
    """The filters but the driving facet's, on a query whose trace timestamp and key are these columns
    (the time range on `range_column`, the timestamp as it should be searched)."""
    level = filters.level.upper() if filters.level is not None else None
    conditions = []
    range_column = when_column if range_column is None else range_column
    if filters.start is not None:
        conditions.append(range_column >= filters.start)
    if filters.end is not None:
        conditions.append(range_column < filters.end)
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
                o.c.trace_id == id_column,
                o.c.project_id == project_id,
                or_(o.c.model == model, o.c.request_model == model),
            )
        )
    for kind, value in probed:
        conditions.append(facet_condition(kind, value, project_id, when_column, id_column))
    if level == UNINDEXED_LEVEL:  # nearly every trace has one: the first traces probed answer
        conditions.append(exists().where(o.c.trace_id == id_column, o.c.project_id == project_id, o.c.level == level))
    return conditions


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
    driver = tables.trace_facets.alias("driver") if driving is not None else None
    when_column, id_column = (driver.c.timestamp, driver.c.trace_id) if driver is not None else (t.c.timestamp, t.c.id)
    conditions = [t.c.project_id == project_id]
    if driver is not None and driving is not None:
        conditions += [driver.c.project_id == project_id, driver.c.kind == driving[0], driver.c.value == driving[1]]
    conditions += _conditions(database, project_id, filters, when_column, id_column, probed)
    if searched is not None:
        conditions.append(searched)
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
