"""The cost report's shape, engine-neutral: the groups it can be cut by, a group's line of exact
sums (`CostLine`) and a report (`CostReport`). Stores fill them (`storage/sql/queries/costs.py`).

Per call, the cost is Theodolite's own where it has one, else the one the client reported. A cache
hit or a fallback (status not_billed) costs a known $0; what the provider would have charged is
summed apart as `saved`. Unpriced calls are counted, never summed as $0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from theodolite.errors import BadRequestError

TIME_GROUPS = {"hour": "%Y-%m-%d %H:00", "day": "%Y-%m-%d", "month": "%Y-%m"}
COLUMN_GROUP_NAMES = ("model", "provider", "project", "name", "type", "source", "environment")
# Groups read from the call's trace: its user, and the `feature` key of its metadata (what the
# application calls the part of the product that made the call; OTLP: the span attribute
# `theodolite.trace.metadata.feature`, or `langfuse.trace.metadata.feature`).
FEATURE_KEY = "feature"
TRACE_GROUPS = ("user", "feature")
GROUPS = tuple(TIME_GROUPS) + COLUMN_GROUP_NAMES + TRACE_GROUPS


@dataclass(slots=True)
class CostLine:
    """One group: counts, and exact sums of the known amounts. Read the amounts through `cost_usd`
    and `saved_usd`, which say when a sum is unknown rather than 0."""

    key: tuple[str, ...]
    calls: int = 0
    unpriced_calls: int = 0
    partial_calls: int = 0
    not_billed_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: Decimal = field(default_factory=Decimal)  # of the calls with a known cost
    saved: Decimal = field(default_factory=Decimal)  # of the not-billed calls with a known price
    billed_costed_calls: int = 0  # provider calls with a known cost
    saved_calls: int = 0  # not-billed calls with a known saved amount

    def add_sums(self, row: Any, cost: Decimal | None, saved: Decimal | None) -> None:
        """Add a row of `_sums_query` (its amounts already read as exact Decimals)."""
        for name in ("calls", "unpriced_calls", "partial_calls", "not_billed_calls", "input_tokens", "output_tokens",
                     "billed_costed_calls", "saved_calls"):  # fmt: skip
            setattr(self, name, getattr(self, name) + int(getattr(row, name) or 0))
        self.cost += cost or 0
        self.saved += saved or 0

    def add(self, other: CostLine) -> None:
        for name in ("calls", "unpriced_calls", "partial_calls", "not_billed_calls", "input_tokens", "output_tokens",
                     "cost", "saved", "billed_costed_calls", "saved_calls"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def cost_usd(self) -> Decimal | None:
        """The cost, or None when it is unknown: no provider call has a known cost and some are
        unpriced (their $0 cache hits would make it look free), or there is nothing to price."""
        if self.billed_costed_calls == 0 and (self.unpriced_calls or not self.not_billed_calls):
            return None
        return self.cost

    @property
    def saved_usd(self) -> Decimal | None:
        """What the provider would have charged for the cache hits and fallbacks: 0 when there were
        none, None when there were some and none of them could be priced."""
        return None if self.not_billed_calls and not self.saved_calls else self.saved


@dataclass(slots=True)
class CostReport:
    group_by: tuple[str, ...]
    lines: list[CostLine]
    total: CostLine


def parse_group_by(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in GROUPS]
    if unknown or not names:
        raise BadRequestError(f"cannot group by {', '.join(unknown) or '(nothing)'}; choose from {', '.join(GROUPS)}")
    return names
