"""The pricing stage of ingestion: every generation of a batch gets Theodolite's cost beside the
one its client reported. Pure; runs in the decode workers, before rows are prepared."""

from __future__ import annotations

from theodolite.model import GENERATION_LIKE, Batch, Observation
from theodolite.pricing import PriceOverrides
from theodolite.pricing.engine import price_usage

NO_OVERRIDES = PriceOverrides()


def price_observation(observation: Observation, overrides: PriceOverrides = NO_OVERRIDES) -> None:
    if observation.type not in GENERATION_LIKE and observation.cost.reported_total is None:
        return
    priced = price_usage(observation.usage, observation.model, observation.provider, observation.start_time, overrides)
    observation.cost = priced.apply_to(observation.cost)


def price_batch(batch: Batch, overrides: PriceOverrides = NO_OVERRIDES) -> Batch:
    for observation in batch.observations:
        price_observation(observation, overrides)
    return batch
