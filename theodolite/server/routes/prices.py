"""/api/v1/prices: the key's project's price overrides, and the price that applies to a model."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, model_validator

from theodolite.errors import NotFoundError
from theodolite.pricing import PriceOverride, PriceOverrides
from theodolite.server.routes.api import ERRORS, Project, State
from theodolite.storage.metadata.prices import delete_price, list_prices, set_price

router = APIRouter(prefix="/api/v1/prices", tags=["prices"], responses=ERRORS)
Rate = Annotated[Decimal | None, Field(ge=0, description="USD per million tokens")]
ALWAYS = datetime(1970, 1, 1, tzinfo=UTC)


class PriceIn(BaseModel):
    model: str = Field(min_length=1, description="model name, or a glob such as 'ft:acme-*'")
    provider: str | None = Field(None, description="only calls to this provider; null = any")
    effective_from: datetime = Field(ALWAYS, description="in force from this time (default: always)")
    input_mtok: Rate = None
    output_mtok: Rate = None
    cache_read_mtok: Rate = Field(None, description="default: the input rate")
    cache_write_mtok: Rate = Field(None, description="default: the input rate")
    output_reasoning_mtok: Rate = Field(None, description="default: the output rate")
    note: str | None = None

    @model_validator(mode="after")
    def _some_rate(self) -> PriceIn:
        if self.override().prices() == {}:
            raise ValueError("give at least one rate (input_mtok, output_mtok, cache_read_mtok, ...)")
        return self

    def override(self) -> PriceOverride:
        when = self.effective_from if self.effective_from.tzinfo else self.effective_from.replace(tzinfo=UTC)
        return PriceOverride(
            self.model, when, self.input_mtok, self.output_mtok, self.cache_read_mtok,
            self.cache_write_mtok, self.output_reasoning_mtok, self.provider,
        )  # fmt: skip


class PriceOut(PriceIn):
    created_at: datetime | None = None


class PriceList(BaseModel):
    data: list[PriceOut]


class PriceLookup(BaseModel):
    model: str
    provider: str | None
    at: datetime
    source: str = Field(description="'override <model> from <date>' or 'genai-prices <model id>'")
    rates: dict[str, Decimal | dict] = Field(
        description="USD per million tokens (per thousand for *_kcount keys); tiered rates as "
        "{base, tiers: [{above_input_tokens, price}]}"
    )


def _out(override: PriceOverride, note: str | None, created_at: datetime | None) -> PriceOut:
    return PriceOut(
        model=override.model, provider=override.provider, effective_from=override.effective_from,
        note=note, created_at=created_at, **override.prices(),
    )  # fmt: skip


@router.get("", response_model=PriceList, summary="The project's price overrides")
def prices_list(state: State, project: Project) -> dict:
    stored = list_prices(state.database, project)
    return {"data": [_out(s.override, s.note, s.created_at) for s in stored]}


@router.put("", response_model=PriceOut, summary="Set a price override (same model, provider and date: replaced)")
def prices_set(state: State, project: Project, price: PriceIn) -> PriceOut:
    override = price.override()
    set_price(state.database, project, override, price.note)
    state.prices.invalidate()
    return _out(override, price.note, None)


@router.delete("", status_code=204, response_class=Response, summary="Remove a price override")
def prices_delete(
    state: State,
    project: Project,
    model: Annotated[str, Query(min_length=1)],
    effective_from: Annotated[datetime, Query(description="the override's date, as listed")],
    provider: Annotated[str | None, Query(description="the override's provider; omit for 'any'")] = None,
) -> Response:
    when = effective_from if effective_from.tzinfo else effective_from.replace(tzinfo=UTC)
    if not delete_price(state.database, project, model, provider or None, when):
        raise NotFoundError(f"no price override for {model!r} ({provider or 'any provider'}) from {when.isoformat()}")
    state.prices.invalidate()
    return Response(status_code=204)


@router.get("/lookup", response_model=PriceLookup, summary="The price Theodolite applies to a model at a time")
def prices_lookup(
    state: State,
    project: Project,
    model: Annotated[str, Query(min_length=1)],
    provider: str | None = None,
    at: Annotated[datetime | None, Query(description="the call's time (default: now)")] = None,
) -> dict:
    when = at or datetime.now(UTC)
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    from theodolite.pricing.engine import price_in_force  # loads the price table: only here, on demand

    overrides = PriceOverrides(stored.override for stored in list_prices(state.database, project))
    found = price_in_force(model, provider, when, overrides)
    if found is None:
        raise NotFoundError(f"no price for {model!r} ({provider or 'any provider'}): its calls are unpriced")
    source, rates = found
    return {"model": model, "provider": provider, "at": when, "source": source, "rates": rates}
