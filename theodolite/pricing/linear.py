"""Fast path: a price without tiers is affine in the token counts, so genai-prices is asked once
per price for the cost of one million tokens of each kind, and each call is five multiplications.

Why: genai-prices' general unit algebra takes ~150 µs per call on this machine, which at ingest
rates would cost most of a core. The figures still come from genai-prices; the result is equal
to its own calculation digit for digit (Decimal arithmetic; tests/unit/test_pricing_properties.py
checks it against `ModelPrice.calc_price` on random usages). Tiered prices take the slow path.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from genai_prices import Usage as PricedUsage
from genai_prices.types import ModelPrice, TieredPrices

MILLION = 1_000_000
_M = Decimal(MILLION)
# Our usage fields, and for each a usage of one million tokens that isolates its leaf.
BASIS: tuple[tuple[str, dict[str, int]], ...] = (
    ("input", {"input_tokens": MILLION}),
    ("output", {"output_tokens": MILLION}),
    ("cache_read", {"input_tokens": MILLION, "cache_read_tokens": MILLION}),
    ("cache_write", {"input_tokens": MILLION, "cache_write_tokens": MILLION}),
    ("reasoning", {"output_tokens": MILLION, "output_reasoning_tokens": MILLION}),
)


@dataclass(frozen=True, slots=True)
class LinearPrice:
    """(input part, output part) of the fixed cost and of one million leaf tokens of each kind."""

    fixed: tuple[Decimal, Decimal]
    per_million: dict[str, tuple[Decimal, Decimal]]

    def cost(self, leaves: dict[str, int]) -> tuple[Decimal, Decimal, Decimal]:
        input_cost, output_cost = self.fixed
        for kind, count in leaves.items():
            if count:
                rate_in, rate_out = self.per_million[kind]
                input_cost += rate_in * count / _M
                output_cost += rate_out * count / _M
        return input_cost, output_cost, input_cost + output_cost


def linear_price(model_price: ModelPrice) -> LinearPrice | None:
    """The affine form of `model_price`, or None when it has tiers (not affine)."""
    if any(isinstance(value, TieredPrices) for value in vars(model_price).values()):
        return None
    empty = model_price.calc_price(PricedUsage())
    fixed = (empty["input_price"], empty["output_price"])
    per_million = {}
    for kind, usage in BASIS:
        result = model_price.calc_price(PricedUsage(**usage))
        per_million[kind] = (result["input_price"] - fixed[0], result["output_price"] - fixed[1])
    return LinearPrice(fixed, per_million)


def leaves(input_tokens: int, output_tokens: int, cache_read: int, cache_write: int, reasoning: int) -> dict[str, int]:
    """Split counts into disjoint leaves (cache within input, reasoning within output)."""
    return {
        "input": input_tokens - cache_read - cache_write,
        "output": output_tokens - reasoning,
        "cache_read": cache_read,
        "cache_write": cache_write,
        "reasoning": reasoning,
    }
