"""What `theodolite costs recompute` does to one stored call, on every engine (`storage/repricing.py`
on SQL, `storage/clickhouse/repricing.py` on ClickHouse): the new cost by ingestion's own rule
(`pricing.engine.cost_of_call`) and the summary both print. Kept apart so that the two engines
price alike and neither imports the other's database library."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from theodolite.model import Cost, CostStatus, Usage
from theodolite.pricing import PriceOverrides
from theodolite.pricing.engine import cost_of_call

# The stored columns a re-pricing may change, in this order on both engines.
COST_COLUMNS = (
    "calculated_input_cost", "calculated_output_cost", "calculated_total_cost", "cost_status", "saved_cost",
)  # fmt: skip
NO_OVERRIDES = PriceOverrides()


@dataclass(slots=True)
class RepriceSummary:
    scanned: int = 0
    changed: int = 0
    by_status: dict[str, int] | None = None

    def count(self, status: str) -> None:
        if self.by_status is None:
            self.by_status = {}
        self.by_status[status] = self.by_status.get(status, 0) + 1


def repriced(
    kind: str,
    source: str | None,
    usage: Usage,
    model: str | None,
    provider: str | None,
    at: datetime,
    reported: Cost,
    overrides: PriceOverrides = NO_OVERRIDES,
) -> Cost:
    """The cost a stored call gets now: a cache hit or a fallback stays a known $0 with its saved
    amount re-priced. Both engines read only calls `cost_of_call` prices (generations, or calls that
    carry a reported cost), so its None never comes back; it reads as not applicable."""
    cost = cost_of_call(kind, source, usage, model, provider, at, reported, overrides)
    return Cost(status=CostStatus.NOT_APPLICABLE) if cost is None else cost


def cost_values(cost: Cost) -> tuple[object, ...]:
    """The cost in `COST_COLUMNS` order (the status as stored: its value)."""
    return cost.calculated_input, cost.calculated_output, cost.calculated_total, cost.status.value, cost.saved
