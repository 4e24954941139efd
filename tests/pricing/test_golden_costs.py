# ruff: noqa: E501  (the golden table reads best one case per line)
"""Golden costs: each case's expected cost is worked out by hand from the provider's published
price per million tokens (the `rates` column: input, output, cache read, cache write; None = the
provider has no separate rate, so the parent rate applies) and written here as a literal.

Two checks per case: the literal equals the arithmetic on the published rates (so a typo in either
is caught), and Theodolite's cost engine (genai-prices 0.2.3 underneath) returns exactly it.

Usage columns: (input, output, cache read, cache write, reasoning). Input includes the cache
parts and output the reasoning, as in OpenTelemetry, except in the Anthropic raw-count case.
Calls are dated 2025-09-01 unless a case says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from theodolite.model import Cost, CostStatus, Usage
from theodolite.pricing import PriceOverride, PriceOverrides
from theodolite.pricing.engine import price_usage

OA = "https://openai.com/api/pricing (standard tier)"
AZ = "https://azure.microsoft.com/pricing/details/cognitive-services/openai-service/ (global deployment = OpenAI list price)"
AN = "https://docs.anthropic.com/en/docs/about-claude/pricing (5-minute cache writes; >200k input = long-context rates)"
GO = "https://ai.google.dev/gemini-api/docs/pricing (paid tier; prompts over 128k/200k at the higher rate)"
BR = "https://aws.amazon.com/bedrock/pricing/ (on-demand, us-east-1)"
MI = "https://mistral.ai/pricing#api-pricing"
DS = "https://api-docs.deepseek.com/quick_start/pricing (as recorded by genai-prices 0.2.3, with its dates)"
AT = datetime(2025, 9, 1, tzinfo=UTC)
MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class G:
    provider: str
    model: str
    counts: tuple[int, int, int, int, int]
    rates: tuple[str | None, str | None, str | None, str | None]
    expected: str
    source: str
    at: datetime = AT

    def usage(self) -> Usage:
        i, o, cr, cw, r = self.counts
        return Usage(i, o, None, cr or None, cw or None, r or None).completed()

    @property
    def id(self) -> str:
        return f"{self.provider}/{self.model}/{','.join(map(str, self.counts))}@{self.at:%Y-%m-%d}"


CASES: tuple[G, ...] = (
    G('openai', 'gpt-4o', (1000, 500, 0, 0, 0), ('2.5', '10', '1.25', None), "0.0075", OA),
    G('openai', 'gpt-4o-2024-08-06', (12000, 800, 8000, 0, 0), ('2.5', '10', '1.25', None), "0.028", OA),
    G('openai', 'gpt-4o-mini', (1000, 500, 0, 0, 0), ('0.15', '0.6', '0.075', None), "0.00045", OA),
    G('openai', 'gpt-4o-mini', (50000, 1200, 40000, 0, 0), ('0.15', '0.6', '0.075', None), "0.00522", OA),
    G('openai', 'o1', (2000, 3000, 0, 0, 2500), ('15', '60', '7.5', None), "0.21", OA),
    G('openai', 'o1', (20000, 3000, 10000, 0, 2000), ('15', '60', '7.5', None), "0.405", OA),
    G('openai', 'o3-mini', (1500, 4000, 0, 0, 3500), ('1.1', '4.4', '0.55', None), "0.01925", OA),
    G('openai', 'o4-mini', (3000, 2000, 1024, 0, 1500), ('1.1', '4.4', '0.275', None), "0.0112552", OA),
    G('openai', 'gpt-4.1', (10000, 1000, 0, 0, 0), ('2', '8', '0.5', None), "0.028", OA),
    G('openai', 'gpt-4.1', (10000, 1000, 6000, 0, 0), ('2', '8', '0.5', None), "0.019", OA),
    G('openai', 'gpt-4.1-mini', (10000, 1000, 2048, 0, 0), ('0.4', '1.6', '0.1', None), "0.0049856", OA),
    G('openai', 'gpt-4.1-nano', (10000, 1000, 0, 0, 0), ('0.1', '0.4', '0.025', None), "0.0014", OA),
    G('openai', 'gpt-4-turbo', (1000, 1000, 0, 0, 0), ('10', '30', None, None), "0.04", OA),
    G('openai', 'gpt-3.5-turbo-0125', (1000, 1000, 0, 0, 0), ('0.5', '1.5', None, None), "0.002", OA),
    G('openai', 'text-embedding-3-small', (8000, 0, 0, 0, 0), ('0.02', None, None, None), "0.00016", OA),
    G('openai', 'text-embedding-3-large', (8000, 0, 0, 0, 0), ('0.13', None, None, None), "0.00104", OA),
    G('openai', 'gpt-5', (4000, 6000, 1000, 0, 4000), ('1.25', '10', '0.125', None), "0.063875", OA),
    G('openai', 'gpt-5-mini', (4000, 6000, 0, 0, 4000), ('0.25', '2', '0.025', None), "0.013", OA),
    G('openai', 'gpt-5-nano', (4000, 6000, 2000, 0, 1000), ('0.05', '0.4', '0.005', None), "0.00251", OA),
    G('azure', 'gpt-4o', (1000, 500, 0, 0, 0), ('2.5', '10', '1.25', None), "0.0075", AZ),
    G('azure.ai.openai', 'gpt-4o-mini', (1000, 500, 0, 0, 0), ('0.15', '0.6', '0.075', None), "0.00045", AZ),
    G('anthropic', 'claude-3-5-sonnet-20241022', (1000, 500, 0, 0, 0), ('3', '15', '0.3', '3.75'), "0.0105", AN),
    G('anthropic', 'claude-3-5-sonnet-20241022', (11000, 500, 8000, 2000, 0), ('3', '15', '0.3', '3.75'), "0.0204", AN),
    G('anthropic', 'claude-3-7-sonnet-20250219', (5000, 2000, 0, 4000, 0), ('3', '15', '0.3', '3.75'), "0.048", AN),
    G('anthropic', 'claude-3-7-sonnet-20250219', (5000, 2000, 4500, 0, 1500), ('3', '15', '0.3', '3.75'), "0.03285", AN),
    G('anthropic', 'claude-sonnet-4-20250514', (1200, 300, 1000, 0, 0), ('3', '15', '0.3', '3.75'), "0.0054", AN),
    G('anthropic', 'claude-sonnet-4-5', (250000, 1000, 0, 0, 0), ('6', '22.5', '0.6', '7.5'), "1.5225", AN),
    G('anthropic', 'claude-sonnet-4-5-20250929', (200000, 1000, 0, 0, 0), ('3', '15', '0.3', '3.75'), "0.615", AN),
    G('anthropic', 'claude-3-5-sonnet-20241022', (100, 200, 5000, 1000, 0), ('3', '15', '0.3', '3.75'), "0.00855", AN),
    G('anthropic', 'claude-3-5-haiku-20241022', (2000, 500, 0, 1500, 0), ('0.8', '4', '0.08', '1'), "0.0039", AN),
    G('anthropic', 'claude-3-haiku-20240307', (2000, 500, 1500, 0, 0), ('0.25', '1.25', '0.03', '0.3'), "0.000795", AN),
    G('anthropic', 'claude-3-opus-20240229', (2000, 500, 0, 0, 0), ('15', '75', '1.5', '18.75'), "0.0675", AN),
    G('anthropic', 'claude-opus-4-1-20250805', (3000, 800, 2000, 500, 0), ('15', '75', '1.5', '18.75'), "0.079875", AN),
    G('anthropic', 'claude-haiku-4-5', (3000, 800, 2000, 500, 0), ('1', '5', '0.1', '1.25'), "0.005325", AN),
    G('anthropic', 'claude-opus-4-5', (3000, 800, 2000, 500, 0), ('5', '25', '0.5', '6.25'), "0.026625", AN),
    G('google', 'gemini-1.5-flash', (10000, 1000, 0, 0, 0), ('0.075', '0.3', None, None), "0.00105", GO),
    G('google', 'gemini-1.5-flash', (200000, 1000, 0, 0, 0), ('0.15', '0.6', None, None), "0.0306", GO),
    G('google', 'gemini-1.5-pro', (10000, 1000, 0, 0, 0), ('1.25', '5', None, None), "0.0175", GO),
    G('google', 'gemini-1.5-pro', (200000, 1000, 0, 0, 0), ('2.5', '10', None, None), "0.51", GO),
    G('gcp.gemini', 'gemini-2.0-flash', (10000, 1000, 0, 0, 0), ('0.1', '0.4', None, None), "0.0014", GO),
    G('gcp.vertex_ai', 'gemini-2.0-flash-lite', (10000, 1000, 0, 0, 0), ('0.075', '0.3', None, None), "0.00105", GO),
    G('google', 'gemini-2.5-pro', (10000, 3000, 0, 0, 2000), ('1.25', '10', None, None), "0.0425", GO),
    G('google', 'gemini-2.5-pro', (300000, 3000, 0, 0, 0), ('2.5', '15', None, None), "0.795", GO),
    G('google', 'gemini-2.5-flash', (10000, 3000, 0, 0, 1000), ('0.3', '2.5', None, None), "0.0105", GO),
    G('aws.bedrock', 'anthropic.claude-3-5-sonnet-20241022-v2:0', (1000, 500, 0, 0, 0), ('3', '15', '0.3', '3.75'), "0.0105", BR),
    G('aws.bedrock', 'anthropic.claude-3-haiku-20240307-v1:0', (1000, 500, 0, 0, 0), ('0.25', '1.25', None, None), "0.000875", BR),
    G('aws.bedrock', 'amazon.nova-micro-v1:0', (10000, 1000, 0, 0, 0), ('0.035', '0.14', None, None), "0.00049", BR),
    G('aws.bedrock', 'amazon.nova-lite-v1:0', (10000, 1000, 0, 0, 0), ('0.06', '0.24', None, None), "0.00084", BR),
    G('aws.bedrock', 'amazon.nova-pro-v1:0', (10000, 1000, 0, 0, 0), ('0.8', '3.2', None, None), "0.0112", BR),
    G('aws.bedrock', 'us.anthropic.claude-3-7-sonnet-20250219-v1:0', (5000, 1000, 3000, 0, 0), ('3', '15', '0.3', '3.75'), "0.0219", BR),
    G('mistral_ai', 'mistral-large-latest', (10000, 1000, 0, 0, 0), ('2', '6', None, None), "0.026", MI),
    G('mistral_ai', 'mistral-small-latest', (10000, 1000, 0, 0, 0), ('0.1', '0.3', None, None), "0.0013", MI),
    G('mistral_ai', 'open-mistral-nemo', (10000, 1000, 0, 0, 0), ('0.15', '0.15', None, None), "0.00165", MI),
    G('mistral_ai', 'codestral-latest', (10000, 1000, 0, 0, 0), ('0.3', '0.9', None, None), "0.0039", MI),
    G('mistral_ai', 'mistral-embed', (10000, 0, 0, 0, 0), ('0.1', None, None, None), "0.001", MI),
    G('mistral_ai', 'pixtral-large-latest', (10000, 1000, 0, 0, 0), ('2', '6', None, None), "0.026", MI),
    G('mistral_ai', 'ministral-8b-latest', (10000, 1000, 0, 0, 0), ('0.1', '0.1', None, None), "0.0011", MI),
    # Prices that changed: the price in force at the call's time applies.
    G("deepseek", "deepseek-v4-flash", (100000, 20000, 60000, 0, 0), ("0.14", "0.28", "0.0028", None), "0.011368", DS,
      datetime(2026, 8, 1, 12, tzinfo=UTC)),
    G("deepseek", "deepseek-v4-flash", (100000, 20000, 60000, 0, 0), ("0.22", "0.66", "0.007", None), "0.02242", DS,
      datetime(2026, 8, 20, 12, tzinfo=UTC)),
    G("deepseek", "deepseek-v4-flash", (100000, 20000, 60000, 0, 0), ("0.15", "0.6", "0.003", None), "0.01818", DS,
      datetime(2026, 9, 15, 12, tzinfo=UTC)),
    # ... and DeepSeek's peak hours (01:00-04:00 UTC) cost more.
    G("deepseek", "deepseek-v4-flash", (100000, 20000, 60000, 0, 0), ("0.3", "1.2", "0.006", None), "0.03636", DS,
      datetime(2026, 9, 15, 2, tzinfo=UTC)),
)  # fmt: skip


def arithmetic(case: G) -> Decimal:
    usage = case.usage()
    rate_in, rate_out, rate_read, rate_write = (None if r is None else Decimal(r) for r in case.rates)
    read, write, reasoning = usage.cache_read_tokens or 0, usage.cache_write_tokens or 0, usage.reasoning_tokens or 0
    total = Decimal(usage.input_tokens - read - write) * rate_in
    total += Decimal(read) * (rate_in if rate_read is None else rate_read)
    total += Decimal(write) * (rate_in if rate_write is None else rate_write)
    total += Decimal(usage.output_tokens) * (rate_out or 0)  # reasoning is output, at the output rate here
    assert reasoning <= usage.output_tokens
    return total / MILLION


def test_at_least_fifty_cases_from_six_providers() -> None:
    assert len(CASES) >= 50
    families = {c.source for c in CASES}
    assert {OA, AZ, AN, GO, BR, MI} <= families


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_golden_cost(case: G) -> None:
    assert Decimal(case.expected) == arithmetic(case), "the literal does not match the published rates"
    priced = price_usage(case.usage(), case.model, case.provider, case.at)
    status = CostStatus.PARTIAL if case.rates[1] is None and case.counts[1] else CostStatus.PRICED
    assert priced.status is status
    assert priced.total == Decimal(case.expected)
    assert priced.input + priced.output == priced.total


def test_unknown_model_is_unpriced_not_zero() -> None:
    priced = price_usage(Usage(1000, 200).completed(), "acme-finetune-7b", "vllm", AT)
    assert (priced.status, priced.total, priced.input, priced.output) == (CostStatus.UNPRICED, None, None, None)


def test_missing_model_is_unpriced() -> None:
    assert price_usage(Usage(1000, 200).completed(), None, "openai", AT).status is CostStatus.UNPRICED


def test_no_usage_is_not_applicable() -> None:
    assert price_usage(Usage(), "gpt-4o", "openai", AT).status is CostStatus.NOT_APPLICABLE


def test_embedding_with_output_tokens_is_partial_and_prices_what_it_can() -> None:
    # text-embedding-3-small has an input rate only ($0.02/M): 1,000 input tokens = $0.00002.
    priced = price_usage(Usage(1000, 50).completed(), "text-embedding-3-small", "openai", AT)
    assert priced.status is CostStatus.PARTIAL
    assert priced.total == Decimal("0.00002")


def test_a_reported_cost_is_kept_beside_ours() -> None:
    reported = Cost(reported_total=Decimal("0.5"), status=CostStatus.UNPRICED)
    unknown = price_usage(Usage(1000, 200).completed(), "acme-finetune-7b", None, AT).apply_to(reported)
    assert (unknown.status, unknown.reported_total, unknown.calculated_total) == (
        CostStatus.REPORTED,
        Decimal("0.5"),
        None,
    )
    known = price_usage(Usage(1000, 500).completed(), "gpt-4o-mini", "openai", AT).apply_to(reported)
    assert (known.status, known.reported_total, known.calculated_total) == (
        CostStatus.PRICED,
        Decimal("0.5"),
        Decimal("0.00045"),
    )


ACME = (
    PriceOverride("acme-llm", datetime(2025, 1, 1, tzinfo=UTC), input_mtok=Decimal("1"), output_mtok=Decimal("2")),
    PriceOverride("acme-llm", datetime(2025, 7, 1, tzinfo=UTC), input_mtok=Decimal("0.5"), output_mtok=Decimal("1")),
    PriceOverride("acme-*", datetime(2025, 7, 1, tzinfo=UTC), input_mtok=Decimal("9"), output_mtok=Decimal("9")),
    PriceOverride("gpt-4o-mini", datetime(2025, 8, 1, tzinfo=UTC), input_mtok=Decimal("0.1"), output_mtok=Decimal("0.5"),
                  cache_read_mtok=Decimal("0.05"), provider="azure"),
)  # fmt: skip


@pytest.mark.parametrize(
    ("model", "provider", "at", "expected"),
    [
        # custom model, price changed on 2025-07-01: 1M in + 1M out = $3 before, $1.50 after
        ("acme-llm", None, datetime(2025, 6, 30, 23, 59, tzinfo=UTC), "3"),
        ("acme-llm", None, datetime(2025, 7, 1, tzinfo=UTC), "1.5"),
        ("acme-llm", None, datetime(2024, 12, 31, tzinfo=UTC), None),  # before any price: unpriced
        ("acme-other", None, datetime(2025, 7, 2, tzinfo=UTC), "18"),  # glob
        # a negotiated Azure price beats the public table from its date, for Azure only
        ("gpt-4o-mini", "azure", datetime(2025, 8, 2, tzinfo=UTC), "0.6"),
        ("gpt-4o-mini", "azure", datetime(2025, 7, 31, tzinfo=UTC), "0.75"),
        ("gpt-4o-mini", "openai", datetime(2025, 8, 2, tzinfo=UTC), "0.75"),
    ],
)
def test_overrides_by_date_model_and_provider(
    model: str, provider: str | None, at: datetime, expected: str | None
) -> None:
    priced = price_usage(Usage(1_000_000, 1_000_000).completed(), model, provider, at, PriceOverrides(ACME))
    assert priced.total == (None if expected is None else Decimal(expected))
