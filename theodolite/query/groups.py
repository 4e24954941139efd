"""Sessions and users: traces grouped by `session_id` / `user_id`, with counts, tokens and cost."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from theodolite.query.aggregates import empty_totals, observation_totals_columns, totals_from_row
from theodolite.query.pagination import decode_cursor, encode_cursor
from theodolite.storage import tables
from theodolite.storage.engine import Database

t = tables.traces
o = tables.observations


def _list_groups(
    database: Database,
    project_id: int,
    key: str,
    *,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    group_column = t.c[key]
    conditions = [t.c.project_id == project_id, group_column.is_not(None)]
    if start is not None:
        conditions.append(t.c.timestamp >= start)
    if end is not None:
        conditions.append(t.c.timestamp < end)
    offset = int(decode_cursor(cursor, 1)[0]) if cursor else 0
    # Step 1: the page of groups, ordered by latest activity (reads traces only, via the index).
    groups = (
        select(
            group_column.label("key"),
            func.count().label("trace_count"),
            func.min(t.c.timestamp).label("first_seen"),
            func.max(t.c.timestamp).label("last_seen"),
        )
        .where(*conditions)
        .group_by(group_column)
        .order_by(func.max(t.c.timestamp).desc(), group_column)
        .limit(limit + 1)
        .offset(offset)
    )
    with database.connect() as conn:
        rows = conn.execute(groups).all()
        page = rows[:limit]
        keys = [row.key for row in page]
        # Step 2: totals for just those groups.
        totals: dict[str, dict[str, Any]] = {}
        if keys:
            statement = (
                select(group_column.label("key"), *observation_totals_columns())
                .select_from(t.join(o, o.c.trace_id == t.c.id))
                .where(*conditions, group_column.in_(keys), o.c.project_id == project_id)
                .group_by(group_column)
            )
            totals = {row.key: totals_from_row(row) for row in conn.execute(statement)}
    items = []
    for row in page:
        item = {key: row.key, "trace_count": row.trace_count, "first_seen": row.first_seen, "last_seen": row.last_seen}
        item.update(totals.get(row.key) or empty_totals())
        items.append(item)
    next_cursor = encode_cursor(offset + limit) if len(rows) > limit else None
    return items, next_cursor


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
    return _list_groups(database, project_id, "session_id", start=start, end=end, limit=limit, cursor=cursor)


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
    return _list_groups(database, project_id, "user_id", start=start, end=end, limit=limit, cursor=cursor)
