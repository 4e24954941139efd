"""Per-project prices: custom models and corrections of the public table, with an effective date."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

# The price keys an override may set, as genai-prices names them (USD per million tokens).
PRICE_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "output_reasoning_mtok")


@dataclass(frozen=True, slots=True)
class PriceOverride:
    """USD per million tokens for `model` (a name or a glob such as `ft:my-model-*`) from
    `effective_from` on. `provider` None matches any provider. Unset token types fall back as in
    genai-prices: cache to input, reasoning to output."""

    model: str
    effective_from: datetime
    input_mtok: Decimal | None = None
    output_mtok: Decimal | None = None
    cache_read_mtok: Decimal | None = None
    cache_write_mtok: Decimal | None = None
    output_reasoning_mtok: Decimal | None = None
    provider: str | None = None

    def matches(self, model: str, provider: str | None) -> bool:
        if self.provider is not None and (provider or "").lower() != self.provider.lower():
            return False
        pattern = self.model.lower()
        name = model.lower()
        return name == pattern or (any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(name, pattern))

    @property
    def label(self) -> str:
        """How `prices show` and the lookup API name this price."""
        return f"override {self.model} from {self.effective_from:%Y-%m-%d}"

    def prices(self) -> dict[str, Decimal]:
        return {key: value for key in PRICE_KEYS if (value := getattr(self, key)) is not None}


class PriceOverrides:
    """One project's overrides. The newest `effective_from` not after the call wins; between two
    overrides with the same date, an exact model name beats a glob."""

    def __init__(self, overrides: Iterable[PriceOverride] = ()) -> None:
        self._overrides = sorted(overrides, key=lambda o: (o.effective_from, not _is_glob(o.model)), reverse=True)

    def __bool__(self) -> bool:
        return bool(self._overrides)

    def __iter__(self):
        return iter(self._overrides)

    def find(self, model: str, provider: str | None, at: datetime) -> PriceOverride | None:
        for override in self._overrides:
            if override.effective_from <= at and override.matches(model, provider):
                return override
        return None


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")
