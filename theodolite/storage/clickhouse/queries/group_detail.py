"""One session as a thread of turns, and one user's totals and daily activity, on ClickHouse, as
`storage/sql/queries/group_detail.py` answers them.

A session's turns are its traces oldest first, keyset-paginated on (timestamp, trace id); each turn's
words come from the page's payloads only (`query.turn_words`): the spans of the page's traces are
read without payloads, then the few payloads the words need, by (trace, span id). SQL breaks a tie of
start times between spans by insert order, which ClickHouse does not keep: here by span id.

A user's daily series (UTC days) sums the spans of their traces in the range (FINAL), per day of the
trace's timestamp; the recent traces are the trace list's first page for that user.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

from theodolite.errors import NotFoundError
from theodolite.query.filters import TraceFilter
from theodolite.query.pagination import decode_time_cursor, encode_cursor
from theodolite.query.totals import empty_totals
from theodolite.query.turn_words import turn_words
from theodolite.storage.clickhouse.queries.groups import summed_rows, summed_totals
from theodolite.storage.clickhouse.queries.sql import Params, Runner
from theodolite.storage.clickhouse.queries.traces import (
    EMPTY_TOTALS,
    json_value,
    list_traces,
    totals_of,
    trace_totals,
    utc,
)
from theodolite.storage.trace_keys import wire_trace_id

RECENT_TRACES = 20  # as on SQL


def get_session(runner: Runner, project_id: int, session_id: str, *, limit: int, cursor: str | None) -> dict[str, Any]:
    """A page of a session's turns (oldest first) and, on the first page, the session's totals.
    NotFoundError when this project has no trace in the session."""
    params = Params(project=project_id, session=session_id)
    traces = runner.table("traces")
    session = "project_id = {project:UInt32} AND session_id = {session:String}"
    summary = None
    where = [session]
    if cursor is None:
        summary = _session_summary(runner, params, session)
        if summary["trace_count"] == 0:
            raise NotFoundError(f"session {session_id} not found")
    else:
        when, key = decode_time_cursor(cursor)
        moment = params.moment(utc(when))
        where.append(f"(timestamp > {moment} OR (timestamp = {moment} AND id > {params.add(key, 'String')}))")
    rows = runner.rows(
        f"SELECT id, timestamp, name, user_id, root_observation_id FROM {traces} FINAL"
        f" WHERE {' AND '.join(where)} ORDER BY timestamp, id LIMIT {int(limit) + 1}",
        params,
    )
    page = rows[:limit]
    keys = [row[0] for row in page]
    totals = trace_totals(runner, project_id, keys)
    words = _turn_words(runner, project_id, [(key, root or None) for key, _, _, _, root in page])
    turns = [
        {"trace_id": wire_trace_id(key), "timestamp": utc(when), "name": name or None, "user_id": user or None}
        | totals.get(key, EMPTY_TOTALS)
        | words[key]
        for key, when, name, user, _ in page
    ]
    next_cursor = encode_cursor(utc(page[-1][1]), page[-1][0]) if len(rows) > limit else None
    return {"session_id": session_id, "summary": summary, "turns": turns, "next_cursor": next_cursor}


def _session_summary(runner: Runner, params: Params, session: str) -> dict[str, Any]:
    traces = runner.table("traces")
    count, first, last = runner.rows(
        f"SELECT count(), min(timestamp), max(timestamp) FROM {traces} FINAL WHERE {session}", params
    )[0]
    if not count:
        return {"trace_count": 0}
    users = runner.rows(
        f"SELECT DISTINCT user_id FROM {traces} FINAL WHERE {session} AND user_id != '' ORDER BY user_id LIMIT 10",
        params,
    )
    members = f"SELECT id FROM {traces} FINAL WHERE {session}"
    totals = summed_totals(runner, "1", members, params.values).get(1, empty_totals())
    return {
        "trace_count": count,
        "first_seen": utc(first),
        "last_seen": utc(last),
        "user_ids": [u for (u,) in users],
    } | totals


def _turn_words(runner: Runner, project_id: int, page: list[tuple[str, str | None]]) -> dict[str, dict[str, Any]]:
    if not page:
        return {}
    params = {"project": project_id, "keys": [key for key, _ in page]}
    observations = runner.table("observations")
    one_of = "project_id = {project:UInt32} AND trace_id IN {keys:Array(String)}"
    by_trace: dict[str, list[Any]] = defaultdict(list)
    for trace_id, ident, parent, kind in runner.rows(
        f"SELECT trace_id, id, parent_observation_id, type FROM {observations} FINAL WHERE {one_of}"
        " ORDER BY trace_id, start_time, id",
        params,
    ):
        span = SimpleNamespace(trace_id=trace_id, id=ident, parent_observation_id=parent or None, type=kind)
        by_trace[trace_id].append(span)

    def payloads(handles: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        if not handles:
            return {}
        rows = runner.rows(
            f"SELECT trace_id, id, input, output FROM {observations} FINAL WHERE {one_of}"
            " AND (trace_id, id) IN {handles:Array(Tuple(String, String))}",
            params | {"handles": handles},
        )
        return {(key, ident): {"input": json_value(i), "output": json_value(o)} for key, ident, i, o in rows}

    return turn_words(page, by_trace, payloads, attrgetter("trace_id", "id"))


def get_user(
    runner: Runner, project_id: int, user_id: str, *, start: datetime | None, end: datetime | None
) -> dict[str, Any]:
    """A user's totals and daily series (UTC days) in a time range, with their latest traces.
    NotFoundError when this project has no trace of the user (at any time)."""
    params = Params(project=project_id, user=user_id)
    traces = runner.table("traces")
    user = "project_id = {project:UInt32} AND user_id = {user:String}"
    if not runner.rows(f"SELECT 1 FROM {traces} FINAL WHERE {user} LIMIT 1", params):
        raise NotFoundError(f"user {user_id} not found")
    where = " AND ".join([user, *params.time_range("timestamp", start, end)])
    days = runner.rows(
        f"SELECT toString(toDate(timestamp)) AS day, count(), min(timestamp), max(timestamp) FROM {traces} FINAL"
        f" WHERE {where} GROUP BY day ORDER BY day",
        params,
    )
    members = f"SELECT id, timestamp FROM {traces} FINAL WHERE {where}"
    sums = summed_rows(runner, "toString(toDate(t.timestamp))", members, params.values)
    recent, _ = list_traces(
        runner, project_id, TraceFilter(start=start, end=end, user_id=user_id), limit=RECENT_TRACES, cursor=None
    )
    daily = [
        {"day": day, "trace_count": int(count)} | (totals_of(sums[day]) if day in sums else empty_totals())
        for day, count, _, _ in days
    ]
    overall = _added(list(sums.values()))
    return {
        "user_id": user_id,
        "trace_count": sum(int(count) for _, count, _, _ in days),
        "first_seen": min((utc(first) for _, _, first, _ in days), default=None),
        "last_seen": max((utc(last) for _, _, _, last in days), default=None),
        **(totals_of(overall) if overall else empty_totals()),
        "daily": daily,
        "recent_traces": recent,
    }


def _added(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Rows of `TOTALS` sums added up (what one query over all of them would have returned)."""
    if not rows:
        return None
    names = ("observation_count", "input_tokens", "output_tokens", "total_tokens", "priced", "saved", "unpriced_count",
             "not_billed_count", "error_count")  # fmt: skip
    added: dict[str, Any] = {name: sum(int(row[name]) for row in rows) for name in names}
    added["total_cost"] = sum((Decimal(row["total_cost"] or 0) for row in rows), Decimal(0))
    added["saved_cost"] = sum((Decimal(row["saved_cost"] or 0) for row in rows), Decimal(0))
    return added
