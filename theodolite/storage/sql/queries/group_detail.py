"""One session as a thread of turns, and one user's totals and daily activity.

Both read through the traces' partial indexes (project_id, session_id, timestamp) and
(project_id, user_id, timestamp), then, for a session, the observations of just those traces by
their (trace_id, id) key and, for a user's daily series, each trace's `trace_totals` row by its
key: neither scans a time range of the project. The joins to observations
deliberately test no `observations.project_id`: a trace's storage key belongs to one project
(`storage.trace_keys`), so `o.trace_id = t.id` already keeps the project's rows, and given a
condition on it SQLite's planner preferred (project_id, start_time), reading every observation
of the project (a user's daily series: 770 ms on 1,000,000 observations instead of 60 ms).

A session's turns are its traces, oldest first (a conversation reads down), keyset-paginated on
(timestamp, storage key): turns that arrive during a scroll come at its end, as they should; a
trace that a late span moves before the pages already read is missing from that scroll (a reload
shows it), never repeated. Each turn's words come from stored payloads, read for the page shown
only: the root observation's input and output (the trace's), and where that has no message
(`turn_text`), the first generation's input and the last generation's output.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from theodolite.errors import NotFoundError
from theodolite.query.filters import TraceFilter
from theodolite.query.pagination import decode_time_cursor, encode_cursor
from theodolite.query.totals import empty_totals
from theodolite.query.turn_words import turn_words
from theodolite.storage import tables
from theodolite.storage.dictionaries import load_dictionaries
from theodolite.storage.engine import Database
from theodolite.storage.expressions import ordered_join, utc_day
from theodolite.storage.payloads import MissingDictionaryError
from theodolite.storage.sql.queries.aggregates import (
    TOTALS_COUNTS,
    observation_totals_columns,
    summed_trace_totals,
    totals_from_row,
    trace_totals,
)
from theodolite.storage.sql.queries.traces import list_traces
from theodolite.storage.trace_keys import wire_trace_id

t = tables.traces
o = tables.observations
p = tables.observation_payloads
tt = tables.trace_totals

RECENT_TRACES = 20


def get_session(
    database: Database, project_id: int, session_id: str, *, limit: int = 50, cursor: str | None = None
) -> dict[str, Any]:
    """A page of a session's turns (oldest first) and, on the first page, the session's totals.

    Raises NotFoundError when this project has no trace in the session. Blocks."""
    try:
        return _get_session(database, project_id, session_id, limit, cursor)
    except MissingDictionaryError:
        load_dictionaries(database)  # another process trained one since we loaded ours
        return _get_session(database, project_id, session_id, limit, cursor)


def _get_session(database: Database, project_id: int, session_id: str, limit: int, cursor: str | None) -> dict:
    conditions = [t.c.project_id == project_id, t.c.session_id == session_id]
    position = decode_time_cursor(cursor) if cursor is not None else None
    page_conditions = list(conditions)
    if position is not None:
        when, key = position
        page_conditions.append(or_(t.c.timestamp > when, and_(t.c.timestamp == when, t.c.id > key)))
    with database.connect() as conn:
        summary = None
        if position is None:
            summary = _session_summary(conn, project_id, conditions)
            if summary["trace_count"] == 0:
                raise NotFoundError(f"session {session_id} not found")
        rows = conn.execute(
            select(t.c.id, t.c.timestamp, t.c.name, t.c.user_id, t.c.root_observation_id)
            .where(*page_conditions)
            .order_by(t.c.timestamp, t.c.id)
            .limit(limit + 1)
        ).all()
        page = rows[:limit]
        keys = [row.id for row in page]
        totals = trace_totals(conn, project_id, keys)
        words = _turn_words(conn, project_id, page)
    turns = []
    for row in page:
        turn: dict[str, Any] = {
            "trace_id": wire_trace_id(row.id),
            "timestamp": row.timestamp,
            "name": row.name,
            "user_id": row.user_id,
        }
        turn.update(totals.get(row.id, empty_totals() | {"latency_s": None}))
        turn.update(words[row.id])
        turns.append(turn)
    next_cursor = encode_cursor(page[-1].timestamp, page[-1].id) if len(rows) > limit else None
    return {"session_id": session_id, "summary": summary, "turns": turns, "next_cursor": next_cursor}


def _session_summary(conn: Connection, project_id: int, conditions: list[Any]) -> dict[str, Any]:
    span = conn.execute(
        select(func.count().label("n"), func.min(t.c.timestamp).label("first"), func.max(t.c.timestamp).label("last"))
        .where(*conditions)
    ).one()  # fmt: skip
    if not span.n:
        return {"trace_count": 0}
    totals = conn.execute(
        select(*observation_totals_columns()).select_from(t.join(o, o.c.trace_id == t.c.id)).where(*conditions)
    ).one()
    users = conn.execute(
        select(t.c.user_id).where(*conditions, t.c.user_id.is_not(None)).distinct().limit(11)
    ).scalars().all()  # fmt: skip
    return {
        "trace_count": span.n,
        "first_seen": span.first,
        "last_seen": span.last,
        "user_ids": sorted(users)[:10],
    } | totals_from_row(totals)


def _turn_words(conn: Connection, project_id: int, page: list[Any]) -> dict[str, dict[str, Any]]:
    """Each trace's user message and answer (`query.turn_words`), its spans in start then insert order."""
    if not page:
        return {}
    observations = conn.execute(
        select(o.c.seq, o.c.trace_id, o.c.id, o.c.parent_observation_id, o.c.type, o.c.start_time)
        .where(o.c.project_id == project_id, o.c.trace_id.in_([row.id for row in page]))
        .order_by(o.c.trace_id, o.c.start_time, o.c.seq)
    ).all()
    by_trace: dict[str, list[Any]] = defaultdict(list)
    for observation in observations:
        by_trace[observation.trace_id].append(observation)

    def payloads(seqs: list[int]) -> dict[int, Any]:
        return _payloads(conn, seqs)

    keys = [(row.id, row.root_observation_id) for row in page]
    return turn_words(keys, by_trace, payloads, attrgetter("seq"))


def _payloads(conn: Connection, seqs: list[int]) -> dict[int, Any]:
    if not seqs:
        return {}
    rows = conn.execute(select(p.c.observation_seq, p.c.payload).where(p.c.observation_seq.in_(seqs)))
    return {row.observation_seq: row.payload for row in rows}


def get_user(
    database: Database, project_id: int, user_id: str, *, start: datetime | None = None, end: datetime | None = None
) -> dict[str, Any]:
    """A user's totals and daily series (UTC days) in a time range, with their latest traces.

    Raises NotFoundError when this project has no trace of the user (at any time). Blocks."""
    conditions = [t.c.project_id == project_id, t.c.user_id == user_id]
    if start is not None:
        conditions.append(t.c.timestamp >= start)
    if end is not None:
        conditions.append(t.c.timestamp < end)
    day = utc_day(t.c.timestamp, database.dialect_name).label("day")
    with database.connect() as conn:
        known = conn.execute(select(t.c.id).where(t.c.project_id == project_id, t.c.user_id == user_id).limit(1))
        if known.first() is None:
            raise NotFoundError(f"user {user_id} not found")
        # Per-trace totals (`trace_totals`, one row per trace), not the observations: a user with
        # 4,500 traces in a week has ~25,000 observations; reading them took 230 ms p95.
        per_day = conn.execute(
            select(day, func.count().label("n"), func.min(t.c.timestamp).label("first"),
                   func.max(t.c.timestamp).label("last"), *summed_trace_totals())
            # In this order: given no statistics of trace_totals SQLite drove from it (every trace).
            .select_from(ordered_join(t, tt, and_(tt.c.project_id == t.c.project_id,
                                                  tt.c.timestamp == t.c.timestamp, tt.c.trace_id == t.c.id)))
            .where(*conditions).group_by(day)
        ).all()  # fmt: skip
    recent, _ = list_traces(
        database, project_id, TraceFilter(start=start, end=end, user_id=user_id), limit=RECENT_TRACES
    )
    series = []
    for row in sorted(per_day, key=lambda r: _day_text(r.day)):
        series.append({"day": _day_text(row.day), "trace_count": row.n} | totals_from_row(row))
    first = min((row.first for row in per_day), default=None)
    last = max((row.last for row in per_day), default=None)
    return {
        "user_id": user_id,
        "trace_count": sum(row.n for row in per_day),
        "first_seen": first,
        "last_seen": last,
        **totals_from_row(_summed(per_day)),
        "daily": series,
        "recent_traces": recent,
    }


def _day_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _summed(rows: Any) -> SimpleNamespace:
    """The raw aggregate columns of several groups added up, unknowns (None) staying unknown
    unless some group knows them: what one query over all the groups would have returned."""

    def total(name: str) -> Any:
        known = [getattr(row, name) for row in rows if getattr(row, name) is not None]
        return sum((Decimal(str(value)) for value in known), Decimal(0)) if known else None

    return SimpleNamespace(
        **{name: sum(int(getattr(row, name) or 0) for row in rows) for name in TOTALS_COUNTS},
        total_cost=total("total_cost"),
        saved_cost=total("saved_cost"),
    )
