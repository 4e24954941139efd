"""Price one call: genai-prices does the arithmetic and holds the table; this module chooses the
price (override or public), maps our usage onto genai-prices' units and decides the status.

Rules (docs/pricing.md has them with examples):
- A project override in force at the call's time wins over the public table.
- The public table is searched with the call's provider when genai-prices knows that provider
  (`aws.bedrock` -> aws, `gcp.vertex_ai` -> google, ...), else by the model name alone. A known
  provider is never swapped for another one: a model served by a self-hosted gateway under a
  provider genai-prices does not know is priced only if the name is unambiguous.
- Cache reads and writes are parts of the input and priced at their own rates; reasoning tokens
  are part of the output (their own rate where the table has one). A part without a rate of its
  own is priced at its parent's rate (genai-prices' rule). Tiered and long-context prices, and
  prices that changed over time, are applied as of the call's timestamp.
- priced: every token type had a rate; partial: some had none (their cost is missing, never
  guessed); unpriced: unknown model; reported: unknown to us, but the client sent a cost.
- A generation that is not a provider call (a cache hit, a fallback: `is_provider_call`) costs a
  known $0 and has status not_billed; what the provider would have charged for its usage is kept
  as its saved amount (None when unknown). `cost_of_call` applies this; ingestion and
  `costs recompute` both call it, so a stored row and a re-priced one agree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from genai_prices import Usage as PricedUsage
from genai_prices.data_snapshot import find_provider_by_id, get_snapshot
from genai_prices.types import ModelInfo, ModelPrice, TieredPrices

from theodolite.model import GENERATION_LIKE, Cost, CostStatus, Observation, Usage, is_provider_call
from theodolite.pricing.linear import LinearPrice, leaves, linear_price
from theodolite.pricing.overrides import PriceOverride, PriceOverrides

log = logging.getLogger(__name__)

# Our usage field -> genai-prices usage key, and the price keys that may price it, in order.
_UNITS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("input_tokens", "input_tokens", ("input_mtok",)),
    ("output_tokens", "output_tokens", ("output_mtok",)),
    ("cache_read_tokens", "cache_read_tokens", ("cache_read_mtok", "input_mtok")),
    ("cache_write_tokens", "cache_write_tokens", ("cache_write_mtok", "input_mtok")),
    ("reasoning_tokens", "output_reasoning_tokens", ("output_reasoning_mtok", "output_mtok")),
)
_LOOKUP_CACHE_MAX = 4096
_NO_OVERRIDES = PriceOverrides()
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Priced:
    """The outcome for one call. `price_ref` says which price was used (for people, not code)."""

    status: CostStatus
    input: Decimal | None = None
    output: Decimal | None = None
    total: Decimal | None = None
    price_ref: str | None = None

    def apply_to(self, cost: Cost, *, provider_call: bool = True) -> Cost:
        """`cost` with our computation set beside what the client reported.

        Not a provider call: a known $0, and our price (what the provider would have charged) as
        the saved amount. The client's reported costs stay as sent, but no total reads them, since
        the calculated $0 comes first."""
        if not provider_call:
            return Cost(
                reported_input=cost.reported_input,
                reported_output=cost.reported_output,
                reported_total=cost.reported_total,
                calculated_input=_ZERO,
                calculated_output=_ZERO,
                calculated_total=_ZERO,
                status=CostStatus.NOT_BILLED,
                saved=self.total,
            )
        status = self.status
        if status in (CostStatus.UNPRICED, CostStatus.NOT_APPLICABLE) and cost.reported_total is not None:
            status = CostStatus.REPORTED
        return Cost(
            reported_input=cost.reported_input,
            reported_output=cost.reported_output,
            reported_total=cost.reported_total,
            calculated_input=self.input,
            calculated_output=self.output,
            calculated_total=self.total,
            status=status,
        )


_lookups: dict[tuple[str, str | None], ModelInfo | None] = {}
# id(price) -> (price, its affine form); the price is kept so that its id stays unique.
_linear: dict[int, tuple[ModelPrice, LinearPrice | None]] = {}
_override_prices: dict[PriceOverride, ModelPrice] = {}


def _bounded(cache: dict) -> dict:
    if len(cache) >= _LOOKUP_CACHE_MAX:
        cache.clear()
    return cache


def find_model(model: str, provider: str | None) -> ModelInfo | None:
    """The public table's entry for `model` as served by `provider`; None when unknown. Cached,
    misses included (genai-prices scans every model of a provider on a miss)."""
    key = (model.lower(), (provider or "").lower() or None)
    if key in _lookups:
        return _lookups[key]
    snapshot = get_snapshot()
    provider_id = None
    if key[1] is not None and (known := find_provider_by_id(snapshot.providers, key[1])) is not None:
        provider_id = known.id
    try:
        _, info = snapshot.find_provider_model(key[0], None, provider_id, None)
    except LookupError:
        info = None
    _bounded(_lookups)[key] = info
    return info


_providers: dict[str, str | None] = {}


def find_provider(model: str) -> str | None:
    """The id of the provider the public table files `model` under (its first match, as the
    model-only search in `find_model` takes it); None when unknown. Cached, misses included."""
    key = model.lower()
    if key in _providers:
        return _providers[key]
    try:
        provider, _ = get_snapshot().find_provider_model(key, None, None, None)
        found: str | None = provider.id
    except LookupError:
        found = None
    _bounded(_providers)[key] = found
    return found


def _price_for(
    model: str, provider: str | None, at: datetime, overrides: PriceOverrides
) -> tuple[ModelPrice, str] | None:
    """The price in force for `model` at `at` (a project override first, else the public table)
    and which one it is; None when neither knows the model."""
    override = overrides.find(model, provider, at) if overrides else None
    if override is not None:
        model_price = _override_prices.get(override)
        if model_price is None:
            model_price = _bounded(_override_prices)[override] = ModelPrice(**override.prices())
        return model_price, override.label
    info = find_model(model, provider)
    if info is None:
        return None
    return info.get_prices(at), f"genai-prices {info.id}"


def price_in_force(
    model: str, provider: str | None, at: datetime, overrides: PriceOverrides = _NO_OVERRIDES
) -> tuple[str, dict[str, object]] | None:
    """(which price, its rates by genai-prices price key) for `model` at `at`; None if unknown."""
    found = _price_for(model, provider, at, overrides)
    if found is None:
        return None
    model_price, ref = found
    return ref, {key: _plain(value) for key, value in vars(model_price).items() if value is not None}


def _plain(value: object) -> object:
    if isinstance(value, TieredPrices):
        tiers = [{"above_input_tokens": tier.start, "price": tier.price} for tier in value.tiers]
        return {"base": value.base, "tiers": tiers}
    return value


def price_usage(
    usage: Usage,
    model: str | None,
    provider: str | None,
    at: datetime,
    overrides: PriceOverrides = _NO_OVERRIDES,
) -> Priced:
    """Price one call. `usage` follows the model's rule (cache within input, reasoning within
    output): pass `Usage.completed()`. `at` is the call's start time, timezone-aware."""
    if usage.is_empty():
        return Priced(CostStatus.NOT_APPLICABLE)
    if not model:
        return Priced(CostStatus.UNPRICED)
    found = _price_for(model, provider, at, overrides)
    if found is None:
        return Priced(CostStatus.UNPRICED)
    model_price, ref = found
    counts = {ours: getattr(usage, ours) or 0 for ours, _, _ in _UNITS}
    present = [ours for ours, _, _ in _UNITS if counts[ours] > 0]
    unpriced = [ours for ours, _, keys in _UNITS if counts[ours] > 0 and not _has_rate(model_price, keys)]
    if unpriced and len(unpriced) == len(present):  # no present token type has a rate
        return Priced(CostStatus.UNPRICED, price_ref=ref)
    status = CostStatus.PARTIAL if unpriced else CostStatus.PRICED
    split = leaves(*(counts[ours] for ours, _, _ in _UNITS))
    fast = _linear_form(model_price)
    if fast is not None and min(split.values()) >= 0:
        return Priced(status, *fast.cost(split), ref)
    try:
        result = model_price.calc_price(
            PricedUsage(**{theirs: counts[ours] for ours, theirs, _ in _UNITS if counts[ours] > 0})
        )
    except ValueError as exc:  # inconsistent counts that completed() could not repair
        log.warning("cannot price %s (%s): %s", model, provider, exc)
        return Priced(CostStatus.UNPRICED, price_ref=ref)
    return Priced(status, result["input_price"], result["output_price"], result["total_price"], ref)


def cost_of_call(
    kind: str,
    source: str | None,
    usage: Usage,
    model: str | None,
    provider: str | None,
    at: datetime,
    reported: Cost,
    overrides: PriceOverrides = _NO_OVERRIDES,
) -> Cost | None:
    """The cost to store for one observation of type `kind`, given what its client `reported`;
    None when the observation is not priced at all (neither a generation nor carrying a cost: an
    agent span's usage is its children's, pricing it would count them twice).

    The one rule shared by ingestion and `costs recompute`. Pure; safe in any thread."""
    generation = kind in GENERATION_LIKE
    if not generation and reported.reported_total is None:
        return None
    priced = price_usage(usage, model, provider, at, overrides)
    return priced.apply_to(reported, provider_call=not generation or is_provider_call(source))


def _linear_form(model_price: ModelPrice) -> LinearPrice | None:
    cached = _linear.get(id(model_price))
    if cached is not None and cached[0] is model_price:
        return cached[1]
    form = linear_price(model_price)
    _bounded(_linear)[id(model_price)] = (model_price, form)
    return form


def _has_rate(model_price: ModelPrice, keys: tuple[str, ...]) -> bool:
    return any(getattr(model_price, key, None) is not None for key in keys)


def price_observation(observation: Observation, overrides: PriceOverrides = _NO_OVERRIDES) -> None:
    """Set the observation's cost (`cost_of_call`): the decode workers price every observation,
    the writer one merged from several writes (`storage/observation_merges.py`)."""
    cost = cost_of_call(
        observation.type, observation.source, observation.usage, observation.model, observation.provider,
        observation.start_time, observation.cost, overrides,
    )  # fmt: skip
    if cost is not None:
        observation.cost = cost
