"""Totals of calls as the API shows them, whichever store summed them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def totals_from_row(row: Any) -> dict[str, Any]:
    """The API's totals. Cost: None, not 0, when no provider call has a known cost and some are
    unpriced (an unpriced call must not look free); cache hits and fallbacks alone are a known $0.
    Saved: 0 when there was no cache hit or fallback, None when none of them could be priced.
    The same rules as `theodolite costs report` (`query.cost_report.CostLine`)."""
    unpriced, not_billed = int(row.unpriced_count or 0), int(row.not_billed_count or 0)
    cost, saved = row.total_cost, row.saved_cost
    if cost is None and not_billed and not unpriced:
        cost = 0
    if saved is None and not not_billed:
        saved = 0
    return {
        "observation_count": int(row.observation_count or 0),
        "input_tokens": int(row.input_tokens or 0),
        "output_tokens": int(row.output_tokens or 0),
        "total_tokens": int(row.total_tokens or 0),
        "total_cost": None if cost is None else Decimal(str(cost)),
        "saved_cost": None if saved is None else Decimal(str(saved)),
        "unpriced_count": unpriced,
        "not_billed_count": not_billed,
        "error_count": int(row.error_count or 0),
    }


def empty_totals() -> dict[str, Any]:
    """The totals of a trace or group without any observation."""
    return {
        "observation_count": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "total_tokens": 0,
        "total_cost": None,
        "saved_cost": Decimal(0),
        "unpriced_count": 0,
        "not_billed_count": 0,
        "error_count": 0,
    }
