"""What /metrics counts of one observation, extracted where batches are prepared (the decode
workers), so that the writer thread only adds numbers after the commit."""

from __future__ import annotations

from typing import NamedTuple

from theodolite.model.entities import GENERATION_LIKE, CostStatus, Level, Observation


class ObservationFacts(NamedTuple):
    id: str
    trace_id: str
    is_root: bool
    type: str
    is_error: bool
    is_generation: bool
    name: str
    model: str
    provider: str
    source: str
    duration_s: float | None
    ttft_s: float | None
    input_tokens: int | None
    output_tokens: int | None
    cache_read_tokens: int | None
    cache_write_tokens: int | None
    reasoning_tokens: int | None
    cost_usd: float | None  # Theodolite's, else the client's; None when unknown or not a provider call
    saved_usd: float | None  # not a provider call (a cache hit, a fallback): what the provider would have charged
    unpriced: bool


def observation_facts(obs: Observation) -> ObservationFacts:
    usage, cost = obs.usage, obs.cost
    duration = (obs.end_time - obs.start_time).total_seconds() if obs.end_time else None
    ttft = (obs.completion_start_time - obs.start_time).total_seconds() if obs.completion_start_time else None
    amount = cost.calculated_total if cost.calculated_total is not None else cost.reported_total
    if cost.status is CostStatus.NOT_BILLED:  # its $0 is not a cost: it adds to no cost series
        amount = None
    return ObservationFacts(
        obs.id, obs.trace_id, obs.parent_observation_id is None, obs.type.value, obs.level is Level.ERROR,
        obs.type in GENERATION_LIKE, obs.name or "", obs.model or "", obs.provider or "", obs.source or "",
        duration, ttft if ttft is not None and ttft >= 0 else None, usage.input_tokens, usage.output_tokens,
        usage.cache_read_tokens, usage.cache_write_tokens, usage.reasoning_tokens,
        None if amount is None else float(amount), None if cost.saved is None else float(cost.saved),
        cost.status is CostStatus.UNPRICED,
    )  # fmt: skip
