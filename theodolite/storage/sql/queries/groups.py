"""Sessions and users: their traces' counts, first and last timestamps, tokens and cost.

Users are read from `group_rollups`, one row per user that the writer keeps with all-time sums of
their traces' totals (`storage/trace_totals.py`), so a page is one range of the index (project,
kind, last seen), not a GROUP BY over every trace: a user has thousands of traces.

Sessions are short (the demo's have 3.4 traces on average), so they keep no row of their own, which
cost the ingest writer two random-order inserts per new session: a page walks the project's traces
in the time range newest first (`ix_traces_list`), takes each session the first time it comes up,
reads its latest timestamps in the (project, session, timestamp) index, and sums the page's
sessions from their traces' `trace_totals` rows. With an end to the range, a session that goes on
after it is placed by its last trace before the end (its row still shows all of it). A project
with few traces in sessions (`FEW_SESSION_TRACES`) groups them all instead, which is quicker when
sessions are sparse among its traces.

Order: latest activity first (last seen, then key, both descending), with a keyset cursor. As in the
trace list, the cursor carries a snapshot: a user that changed after the first page (a new trace, a
new span) is left out of later pages, never returned twice; a session with a new trace since is
newer than the cursor, so it is left out too.

A time range (`from`, `to`) lists the users active during it (first seen before `to`, last seen at
or after `from`) and the sessions with a trace in it. Their figures are still all-time (the whole
session, everything the user did), so a row reads the same whatever the range; summing only a
range's part of each group would mean grouping that range's traces again at every read.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, case, func, select, tuple_

from theodolite.query.pagination import decode_group_cursor, encode_cursor
from theodolite.query.totals import totals_from_row
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.expressions import ordered_join
from theodolite.storage.sql.queries.aggregates import summed_trace_totals
from theodolite.storage.sql.queries.traces import current_mark

g = tables.group_rollups
t = tables.traces
tt = tables.trace_totals
WALK_CHUNK = 500  # traces read per step of a sessions page's walk
FEW_SESSION_TRACES = 20_000  # up to this many traces in sessions, a page groups them all instead


def _list_groups(
    database: Database,
    project_id: int,
    kind: str,
    key_name: str,
    *,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    conditions = [g.c.project_id == project_id, g.c.kind == kind]
    if start is not None:
        conditions.append(g.c.last_seen >= start)
    if end is not None:
        conditions.append(g.c.first_seen < end)
    snapshot = None
    if cursor is not None:
        last_seen, key, snapshot = decode_group_cursor(cursor)
        conditions += [tuple_(g.c.last_seen, g.c.key) < tuple_(last_seen, key), g.c.changed_seq <= snapshot]
    query = select(g).where(*conditions).order_by(g.c.last_seen.desc(), g.c.key.desc()).limit(limit + 1)
    with database.connect() as conn:
        if snapshot is None:
            snapshot = current_mark(conn)
        rows = conn.execute(query).all()
    page = rows[:limit]
    items = []
    for row in page:
        item = {key_name: row.key, "trace_count": row.trace_count, "first_seen": row.first_seen}
        item["last_seen"] = row.last_seen
        item.update(totals_from_row(_totals(row)))
        items.append(item)
    next_cursor = encode_cursor(page[-1].last_seen, page[-1].key, snapshot) if len(rows) > limit else None
    return items, next_cursor


def _totals(row: Any) -> Any:
    """The rollup's sums as `totals_from_row` reads them: a cost only when some call had one."""
    return SimpleNamespace(
        observation_count=row.observation_count,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        total_tokens=row.total_tokens,
        total_cost=row.cost_sum if row.priced_count else None,
        saved_cost=row.saved_sum if row.saved_count else None,
        unpriced_count=row.unpriced_count,
        not_billed_count=row.not_billed_count,
        error_count=row.error_count,
    )


def list_sessions(
    database: Database,
    project_id: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Sessions by latest activity, with trace count, tokens and cost. Blocks."""
    bound = None
    if cursor is not None:
        last_seen, key, _snapshot = decode_group_cursor(cursor)
        bound = (last_seen, key)
    with database.connect() as conn:
        found = _latest_sessions(conn, project_id, start, end, limit + 1, bound)
        page = found[:limit]
        sums = _session_sums(conn, project_id, [key for _, key, _ in page])
    items = []
    for _, key, last_seen in page:
        row = sums[key]
        item = {"session_id": key, "trace_count": row.trace_count, "first_seen": row.first_seen}
        item["last_seen"] = last_seen
        item.update(totals_from_row(row))
        items.append(item)
    # The cursor has the users' shape; a session needs no snapshot (one changed since is newer
    # than the cursor), so its place holds 0 and is not read.
    next_cursor = encode_cursor(page[-1][0], page[-1][1], 0) if len(found) > limit else None
    return items, next_cursor


def _latest_sessions(
    conn: Any, project_id: int, start: datetime | None, end: datetime | None, wanted: int,
    bound: tuple[datetime, str] | None,
) -> list[tuple[datetime, str, datetime]]:  # fmt: skip
    """(latest activity in [start, end), session, last seen) of the `wanted` sessions with a trace
    in [start, end) that come after `bound` in the order (latest activity in the range, session)
    descending. Without `end` that activity is the session's last seen; with one, a session that
    goes on after `end` is placed by its last trace before it (a walk of the range alone finds it
    there; placing it by its last seen would mean reading every trace after `end` first)."""
    if _few_session_traces(conn, project_id):
        return _latest_sessions_grouped(conn, project_id, start, end, wanted, bound)
    walk = [t.c.project_id == project_id, t.c.session_id.is_not(None)]
    if start is not None:
        walk.append(t.c.timestamp >= start)
    if end is not None:
        walk.append(t.c.timestamp < end)
    if bound is not None:
        walk.append(t.c.timestamp <= bound[0])
    found: list[tuple[datetime, str, datetime]] = []
    looked: set[str] = set()
    after: tuple[datetime, str] | None = None
    while True:
        step = walk if after is None else [*walk, tuple_(t.c.timestamp, t.c.id) < tuple_(*after)]
        rows = conn.execute(
            select(t.c.timestamp, t.c.id, t.c.session_id)
            .where(*step)
            .order_by(t.c.timestamp.desc(), t.c.id.desc())
            .limit(WALK_CHUNK)
        ).all()
        new = list(dict.fromkeys(row.session_id for row in rows if row.session_id not in looked))
        looked.update(new)
        for key, (latest, last_seen) in _latest(conn, project_id, new, end).items():
            if bound is not None and (latest, key) >= bound:
                continue  # listed on an earlier page, or active since it
            found.append((latest, key, last_seen))
        found.sort(reverse=True)
        # Every session not met yet was last active before the walk's position: once `wanted` are
        # found after it, no later step can change the page.
        if len(rows) < WALK_CHUNK or (len(found) >= wanted and found[wanted - 1][0] > rows[-1].timestamp):
            return found[:wanted]
        after = (rows[-1].timestamp, rows[-1].id)


def _few_session_traces(conn: Any, project_id: int) -> bool:
    """Whether the project has at most `FEW_SESSION_TRACES` traces in a session (counted in the
    partial (project, session, timestamp) index, no further). Then grouping them is quicker than
    the walk: on the 180,000-trace demo with 1,039 traces left in sessions, 6-7 ms against 34-47."""
    counted = select(t.c.session_id).where(t.c.project_id == project_id, t.c.session_id.is_not(None))
    found = conn.execute(select(func.count()).select_from(counted.limit(FEW_SESSION_TRACES + 1).subquery()))
    return found.scalar_one() <= FEW_SESSION_TRACES


def _latest_sessions_grouped(
    conn: Any, project_id: int, start: datetime | None, end: datetime | None, wanted: int,
    bound: tuple[datetime, str] | None,
) -> list[tuple[datetime, str, datetime]]:  # fmt: skip
    """`_latest_sessions` for a project with few traces in sessions: all of them grouped at once."""
    inside = [t.c.timestamp >= start] if start is not None else []
    inside += [t.c.timestamp < end] if end is not None else []
    in_range = func.max(case((and_(*inside), 1))) if inside else func.max(1)
    rows = conn.execute(
        select(t.c.session_id, _last_before(end), func.max(t.c.timestamp), in_range)
        .where(t.c.project_id == project_id, t.c.session_id.is_not(None))
        .group_by(t.c.session_id)
    ).all()
    found = [(latest, key, last_seen) for key, latest, last_seen, hit in rows if hit is not None]
    if bound is not None:
        found = [row for row in found if (row[0], row[1]) < bound]
    return sorted(found, reverse=True)[:wanted]


def _latest(conn: Any, project_id: int, keys: list[str], end: datetime | None) -> dict[str, tuple[datetime, datetime]]:
    """{session: (its last trace before `end`, its last trace)} from the (project, session,
    timestamp) index."""
    if not keys:
        return {}
    rows = conn.execute(
        select(t.c.session_id, _last_before(end), func.max(t.c.timestamp))
        .where(t.c.project_id == project_id, t.c.session_id.in_(keys))
        .group_by(t.c.session_id)
    )
    return {key: (latest, last_seen) for key, latest, last_seen in rows}


def _last_before(end: datetime | None) -> Any:
    """The aggregate of a session's last trace before `end` (its last trace, without one)."""
    return func.max(t.c.timestamp) if end is None else func.max(case((t.c.timestamp < end, t.c.timestamp)))


def _session_sums(conn: Any, project_id: int, keys: list[str]) -> dict[str, Any]:
    """The page's sessions' all-time figures, summed from their traces' `trace_totals` rows."""
    if not keys:
        return {}
    on = and_(tt.c.project_id == t.c.project_id, tt.c.timestamp == t.c.timestamp, tt.c.trace_id == t.c.id)
    rows = conn.execute(
        select(
            t.c.session_id,
            func.count().label("trace_count"),
            func.min(t.c.timestamp).label("first_seen"),
            *summed_trace_totals(),
        )
        .select_from(ordered_join(t, tt, on))  # the sessions' traces first, then each one's totals
        .where(t.c.project_id == project_id, t.c.session_id.in_(keys))
        .group_by(t.c.session_id)
    )
    return {row.session_id: row for row in rows}


def list_users(
    database: Database,
    project_id: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Users by latest activity, with trace count, tokens and cost. Blocks."""
    return _list_groups(database, project_id, "user", "user_id", start=start, end=end, limit=limit, cursor=cursor)
