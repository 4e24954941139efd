"""Per-trace sums over observations (tokens, cost, counts, latency, worst level)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection

from theodolite.model import CostStatus
from theodolite.query.totals import totals_from_row
from theodolite.storage import tables

ID_CHUNK = 500
o = tables.observations
tt = tables.trace_totals
NOT_BILLED = CostStatus.NOT_BILLED.value
# The counts `totals_from_row` reads, as `trace_totals` stores them per trace.
TOTALS_COUNTS = ("observation_count", "input_tokens", "output_tokens", "total_tokens", "unpriced_count",
                 "not_billed_count", "error_count")  # fmt: skip


@cache  # built once: building these expressions cost ~1.4 ms a call, as much as a trace's totals query
def observation_totals_columns() -> tuple[Any, ...]:
    """The aggregate columns every summary shares: tokens, cost (priced only: a cache hit or a fallback is a
    known $0), saved (what the provider would have charged for those), unpriced count."""
    # Provider calls only: a cache hit's known $0 must not make an unpriced trace look free.
    billed_cost = case((o.c.cost_status != NOT_BILLED, func.coalesce(o.c.calculated_total_cost, o.c.total_cost)))
    return (
        func.count().label("observation_count"),
        func.coalesce(func.sum(o.c.prompt_tokens), 0).label("input_tokens"),
        func.coalesce(func.sum(o.c.completion_tokens), 0).label("output_tokens"),
        func.coalesce(func.sum(o.c.total_tokens), 0).label("total_tokens"),
        func.sum(billed_cost).label("total_cost"),
        func.sum(o.c.saved_cost).label("saved_cost"),
        func.sum(case((o.c.cost_status == "unpriced", 1), else_=0)).label("unpriced_count"),
        func.sum(case((o.c.cost_status == NOT_BILLED, 1), else_=0)).label("not_billed_count"),
        func.sum(case((o.c.level == "ERROR", 1), else_=0)).label("error_count"),
    )


def summed_trace_totals() -> list[Any]:
    """The columns `totals_from_row` reads, summed over `trace_totals` rows (several traces): a cost
    stays NULL unless some trace has a known one, as over observations."""
    return [
        *(func.coalesce(func.sum(tt.c[name]), 0).label(name) for name in TOTALS_COUNTS),
        func.sum(tt.c.total_cost).label("total_cost"),
        func.sum(tt.c.saved_cost).label("saved_cost"),
    ]


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
