"""The values a filter of the trace list can take, for the UI's suggestions: trace names, models,
environments and releases seen in a time range.

Each is a DISTINCT over the project's rows in the range, read through the (project_id, timestamp)
and (project_id, start_time) indexes, so its cost grows with the rows in the range: the UI asks
only when a filter field is first focused and bounds the range (its own, else the last 30 days).
At most `limit` values per field, in alphabetical order; `truncated` says a field had more.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from theodolite.storage import tables
from theodolite.storage.engine import Database

t = tables.traces
o = tables.observations

TRACE_FIELDS = {"names": t.c.name, "environments": t.c.environment, "releases": t.c.release}


def list_trace_filter_options(
    database: Database, project_id: int, *, start: datetime | None, end: datetime | None, limit: int = 200
) -> dict[str, Any]:
    """{"names": [...], "models": [...], "environments": [...], "releases": [...], "truncated": [...]}. Blocks."""
    trace_range = [t.c.project_id == project_id]
    if start is not None:
        trace_range.append(t.c.timestamp >= start)
    if end is not None:
        trace_range.append(t.c.timestamp < end)
    observation_range = [o.c.project_id == project_id, o.c.model.is_not(None)]
    if start is not None:
        observation_range.append(o.c.start_time >= start)
    if end is not None:
        observation_range.append(o.c.start_time < end)
    statements = {
        field: select(column).where(*trace_range, column.is_not(None)).distinct().order_by(column).limit(limit + 1)
        for field, column in TRACE_FIELDS.items()
    }
    statements["models"] = select(o.c.model).where(*observation_range).distinct().order_by(o.c.model).limit(limit + 1)
    result: dict[str, Any] = {"truncated": []}
    with database.connect() as conn:
        for field, statement in statements.items():
            values = [row[0] for row in conn.execute(statement)]
            if len(values) > limit:
                result["truncated"].append(field)
            result[field] = values[:limit]
    return result
