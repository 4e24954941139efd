"""Sessions and users: their traces' counts, first and last timestamps, tokens and cost.

Read from `group_rollups`, one row per session and per user that the writer keeps with all-time sums
of their traces' totals (`storage/trace_totals.py`), so a page is one range of the index (project,
kind, last seen), not a GROUP BY over every trace.

Order: latest activity first (last seen, then key, both descending), with a keyset cursor. As in the
trace list, the cursor carries a snapshot: a group that changed after the first page (a new trace, a
new span) is left out of later pages, never returned twice.

A time range (`from`, `to`) lists the groups active during it: first seen before `to` and last seen
at or after `from`. Their figures are still all-time (the whole session, everything the user did),
so a row reads the same whatever the range; summing only a range's part of each group would mean
grouping that range's traces again at every read.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select, tuple_

from theodolite.errors import BadRequestError
from theodolite.query.aggregates import totals_from_row
from theodolite.query.pagination import decode_cursor, encode_cursor
from theodolite.query.traces import current_mark
from theodolite.storage import tables
from theodolite.storage.engine import Database

g = tables.group_rollups


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
        last_seen, key, snapshot = _decode(cursor)
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


def _decode(cursor: str) -> tuple[datetime, str, int]:
    last_seen, key, snapshot = decode_cursor(cursor, 3)
    try:
        when = datetime.fromisoformat(last_seen)
    except (TypeError, ValueError) as exc:
        raise BadRequestError("cursor is not one this server issued") from exc
    if not isinstance(key, str) or not isinstance(snapshot, int):
        raise BadRequestError("cursor is not one this server issued")
    return when, key, snapshot


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
    return _list_groups(database, project_id, "session", "session_id", start=start, end=end, limit=limit, cursor=cursor)


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
