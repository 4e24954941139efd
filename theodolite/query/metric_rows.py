"""Rows of the analytics API from summed cells, engine-neutral: each store sums its cells (`Cell`
of `model/rollup_cells.py`) per (bucket, group) its own way, and both make their rows here, so that
values, empty buckets (`fill_zero`) and the order of rows cannot differ between engines."""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from theodolite.model import histograms
from theodolite.model.rollup_cells import Cell
from theodolite.query.analytics_params import MEASURE_HISTOGRAM, QUANTILES, MetricQuery

Group = tuple[Any, ...]
# The measure's (sum, count of rows with a value) in a cell.
SUM_AND_COUNT = {
    "cost": ("cost", "priced"), "input_tokens": ("input_tokens", "n"), "output_tokens": ("output_tokens", "n"),
    "total_tokens": ("total_tokens", "n"), "latency": ("latency_sum", "latency_n"), "ttft": ("ttft_sum", "ttft_n"),
    "score": ("value_sum", "value_n"),
}  # fmt: skip


def metric_value(cell: Cell, measure: str, aggregation: str) -> float | int | None:
    if measure in ("trace_count", "observation_count"):
        return cell.n
    if measure == "error_rate":
        return cell.errors / cell.n if cell.n else None
    if aggregation in QUANTILES:
        return histograms.quantile(getattr(cell, MEASURE_HISTOGRAM[measure]), QUANTILES[aggregation])
    total_name, count_name = SUM_AND_COUNT[measure]
    total, count = getattr(cell, total_name), getattr(cell, count_name)
    if aggregation == "count":
        return count
    if count == 0:
        return 0 if aggregation == "sum" and measure != "cost" else None
    return total if aggregation == "sum" else total / count


def metric_rows(
    query: MetricQuery, totals: dict[tuple[int, Group], Cell], values: Callable[[Cell], dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per (bucket, group), by time then group: time, the group's dimensions, `values(cell)`."""
    if query.fill_zero:
        groups = {group for _, group in totals} or ({()} if not query.group_by else set())
        for bucket in query.buckets():
            for group in groups:
                totals.setdefault((bucket, group), Cell())
    rows = []
    for (bucket, group), cell in totals.items():
        row: dict[str, Any] = {"time": bucket * 1000}
        for name, value in zip(query.group_by, group, strict=True):
            row[name] = "" if value is None else value
        row.update(values(cell))
        rows.append(row)
    rows.sort(key=itemgetter("time", *query.group_by) if query.group_by else itemgetter("time"))
    return rows


def cost_values(cell: Any) -> dict[str, Any]:
    """The analytics API's cost row of a cell: no cost when no call in it had a known one."""
    return {
        "cost": cell.cost if cell.priced else None, "input_tokens": cell.input_tokens,
        "output_tokens": cell.output_tokens, "total_tokens": cell.total_tokens, "calls": cell.n,
        "unpriced_calls": cell.unpriced,
    }  # fmt: skip


def cost_rows(query: MetricQuery, cells: dict[Any, Any]) -> list[dict[str, Any]]:
    """Cost, tokens and calls per bucket and group, of the cells that hold provider calls (not spans
    or tools)."""
    billable = {key: cell for key, cell in cells.items() if cell.priced or cell.unpriced}
    return metric_rows(query, billable, cost_values)
