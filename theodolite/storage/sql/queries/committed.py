"""What was committed after a position, in commit order: the feed of the online evaluators
(`server/evaluator_worker.py`). The position is an observation's `seq`, which the writer assigns in
commit order; the primary key serves the range."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.search import highest_mark
from theodolite.storage.trace_keys import wire_trace_id

o = tables.observations


def commit_position(database: Database) -> int:
    """The position of the newest commit: a feed read after it starts here."""
    with database.connect() as conn:
        return highest_mark(conn)


def committed_observations(database: Database, project_id: int, after: int, *, limit: int) -> list[dict[str, Any]]:
    """The project's observations stored by commits after `after`, by position: each its position,
    trace id (the wire id), id and environment. Blocks."""
    statement = (
        select(o.c.seq, o.c.trace_id, o.c.id, o.c.environment)
        .where(o.c.seq > after, o.c.project_id == project_id)
        .order_by(o.c.seq)
        .limit(limit)
    )
    with database.connect() as conn:
        rows = conn.execute(statement).all()
    return [
        {"position": int(row.seq), "trace_id": wire_trace_id(row.trace_id), "observation_id": row.id,
         "environment": row.environment}
        for row in rows
    ]  # fmt: skip
