"""Reads of observations across traces (hot rows only: inputs and outputs are not read)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select

from theodolite.query.filters import ObservationFilter
from theodolite.query.pagination import decode_time_cursor, encode_cursor
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.sql.queries.traces import OBSERVATION_FIELDS, observation_row_to_dict
from theodolite.storage.trace_keys import candidate_keys

o = tables.observations


def list_observations(
    database: Database, project_id: int, filters: ObservationFilter, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Observations newest first; returns (page, next cursor or None). Blocks."""
    conditions = [o.c.project_id == project_id]
    if filters.start is not None:
        conditions.append(o.c.start_time >= filters.start)
    if filters.end is not None:
        conditions.append(o.c.start_time < filters.end)
    for column, value in (
        (o.c.type, filters.type),
        (o.c.model, filters.model),
        (o.c.name, filters.name),
    ):
        if value is not None:
            conditions.append(column == value)
    if filters.trace_id is not None:  # a wire id: its keys within this project (storage.trace_keys)
        conditions.append(o.c.trace_id.in_(candidate_keys(project_id, filters.trace_id)))
    if filters.level is not None:
        conditions.append(o.c.level == filters.level.upper())
    if cursor is not None:
        when, ident = decode_time_cursor(cursor)
        conditions.append(or_(o.c.start_time < when, and_(o.c.start_time == when, o.c.id < ident)))
    statement = (
        select(*(o.c[name] for name in OBSERVATION_FIELDS))
        .where(*conditions)
        .order_by(o.c.start_time.desc(), o.c.id.desc())
        .limit(limit + 1)
    )
    with database.connect() as conn:
        rows = conn.execute(statement).all()
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].start_time, page[-1].id) if len(rows) > limit else None
    return [observation_row_to_dict(row) for row in page], next_cursor
