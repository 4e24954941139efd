"""The pricing stage of ingestion: every generation of a batch gets Theodolite's cost beside the
one its client reported. Pure; runs in the decode workers, before rows are prepared."""

from __future__ import annotations

from theodolite.model import Batch
from theodolite.pricing import PriceOverrides
from theodolite.pricing.engine import price_observation

NO_OVERRIDES = PriceOverrides()


def price_batch(batch: Batch, overrides: PriceOverrides = NO_OVERRIDES) -> Batch:
    for observation in batch.observations:
        price_observation(observation, overrides)
    return batch
