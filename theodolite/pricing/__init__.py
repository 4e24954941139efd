"""The cost engine: token usage + model + provider + time -> cost in USD, as Decimals.

Prices come from genai-prices (offline, maintained) and from per-project overrides; nothing here
holds a price table. Pure: no I/O; the overrides are passed in.

Only the override types are exported here: `theodolite.pricing.engine` loads genai-prices' table
(~21 MiB), which the server process never needs (pricing runs in the decode workers), so it is
imported only where prices are computed.
"""

from theodolite.pricing.overrides import PriceOverride, PriceOverrides

__all__ = ["PriceOverride", "PriceOverrides"]
