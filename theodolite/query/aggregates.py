"""Per-trace sums over observations (tokens, cost, counts, latency, worst level)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection

from theodolite.storage import tables

ID_CHUNK = 500
o = tables.observations


def observation_totals_columns() -> list[Any]:
    """The aggregate columns every summary shares: tokens, cost (priced only), unpriced count."""
    return [
        func.count().label("observation_count"),
        func.coalesce(func.sum(o.c.prompt_tokens), 0).label("input_tokens"),
        func.coalesce(func.sum(o.c.completion_tokens), 0).label("output_tokens"),
        func.coalesce(func.sum(o.c.total_tokens), 0).label("total_tokens"),
        func.sum(func.coalesce(o.c.calculated_total_cost, o.c.total_cost)).label("total_cost"),
        func.sum(case((o.c.cost_status == "unpriced", 1), else_=0)).label("unpriced_count"),
        func.sum(case((o.c.level == "ERROR", 1), else_=0)).label("error_count"),
    ]


def empty_totals() -> dict[str, Any]:
    return {
        "observation_count": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "total_tokens": 0,
        "total_cost": None,
        "unpriced_count": 0,
        "error_count": 0,
    }


def totals_from_row(row: Any) -> dict[str, Any]:
    cost = row.total_cost
    return {
        "observation_count": int(row.observation_count or 0),
        "input_tokens": int(row.input_tokens or 0),
        "output_tokens": int(row.output_tokens or 0),
        "total_tokens": int(row.total_tokens or 0),
        # None, not 0, when nothing was priced: an unpriced call must not look free.
        "total_cost": None if cost is None else Decimal(str(cost)),
        "unpriced_count": int(row.unpriced_count or 0),
        "error_count": int(row.error_count or 0),
    }


def trace_totals(conn: Connection, project_id: int, trace_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Totals and latency per trace id, for a page of traces. Blocks."""
    result: dict[str, dict[str, Any]] = {}
    for start in range(0, len(trace_ids), ID_CHUNK):
        chunk = list(trace_ids[start : start + ID_CHUNK])
        statement = (
            select(
                o.c.trace_id,
                *observation_totals_columns(),
                func.min(o.c.start_time).label("first_start"),
                func.max(o.c.end_time).label("last_end"),
            )
            .where(o.c.project_id == project_id, o.c.trace_id.in_(chunk))
            .group_by(o.c.trace_id)
        )
        for row in conn.execute(statement):
            totals = totals_from_row(row)
            first, last = row.first_start, row.last_end
            totals["latency_s"] = (last - first).total_seconds() if first and last else None
            result[row.trace_id] = totals
    return result
