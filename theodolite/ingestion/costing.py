"""The pricing stage of ingestion: every generation of a batch gets Theodolite's cost beside the
one its client reported. Pure; runs in the decode workers, before rows are prepared."""

from __future__ import annotations

from theodolite.model import Batch, Observation
from theodolite.pricing import PriceOverrides
from theodolite.pricing.engine import cost_of_call

NO_OVERRIDES = PriceOverrides()


def price_observation(observation: Observation, overrides: PriceOverrides = NO_OVERRIDES) -> None:
    cost = cost_of_call(
        observation.type, observation.source, observation.usage, observation.model, observation.provider,
        observation.start_time, observation.cost, overrides,
    )  # fmt: skip
    if cost is not None:
        observation.cost = cost


def price_batch(batch: Batch, overrides: PriceOverrides = NO_OVERRIDES) -> Batch:
    for observation in batch.observations:
        price_observation(observation, overrides)
    return batch
