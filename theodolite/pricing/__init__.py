"""The cost engine: token usage + model + provider + time -> cost in USD, as Decimals.

Prices come from genai-prices (offline, maintained) and from per-project overrides; nothing here
holds a price table. Pure: no I/O; the overrides are passed in.
"""

from theodolite.pricing.engine import Priced, price_usage
from theodolite.pricing.overrides import PriceOverride, PriceOverrides

__all__ = ["Priced", "PriceOverride", "PriceOverrides", "price_usage"]
