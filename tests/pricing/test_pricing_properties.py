"""Property tests for the token rules and the cost engine (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from genai_prices import Usage as PricedUsage
from hypothesis import given, settings
from hypothesis import strategies as st

from theodolite.model import CostStatus, Usage
from theodolite.pricing.engine import find_model, price_usage

AT = datetime(2025, 9, 1, tzinfo=UTC)
MODELS = [
    ("openai", "gpt-4o"),
    ("openai", "o3-mini"),
    ("openai", "text-embedding-3-small"),
    ("anthropic", "claude-3-5-sonnet-20241022"),
    ("anthropic", "claude-sonnet-4-5"),  # tiered: the slow path
    ("google", "gemini-1.5-pro"),  # tiered
    ("aws.bedrock", "amazon.nova-pro-v1:0"),
    ("mistral_ai", "mistral-large-latest"),
    ("vllm", "acme-finetune"),  # unknown
]
counts = st.integers(min_value=0, max_value=2_000_000)
optional_counts = st.none() | counts


@st.composite
def usages(draw: st.DrawFn) -> Usage:
    """Any counts a client might send, consistent or not."""
    return Usage(
        input_tokens=draw(optional_counts),
        output_tokens=draw(optional_counts),
        total_tokens=draw(optional_counts),
        cache_read_tokens=draw(optional_counts),
        cache_write_tokens=draw(optional_counts),
        reasoning_tokens=draw(optional_counts),
    )


@given(usages())
def test_completed_usage_follows_the_otel_rule(raw: Usage) -> None:
    usage = raw.completed()
    cached = (usage.cache_read_tokens or 0) + (usage.cache_write_tokens or 0)
    if usage.input_tokens is not None:
        assert usage.input_tokens >= cached  # cache is part of input
    if usage.output_tokens is not None:
        assert usage.output_tokens >= (usage.reasoning_tokens or 0)  # reasoning is part of output
    if usage.input_tokens is not None or usage.output_tokens is not None:
        assert usage.total_tokens >= (usage.input_tokens or 0) + (usage.output_tokens or 0)
    assert usage.completed() == usage  # idempotent: applying the rule twice changes nothing


@given(counts, counts, counts, counts)
def test_total_is_the_sum_of_the_parts_when_not_reported(i: int, o: int, cr: int, cw: int) -> None:
    usage = Usage(i + cr + cw, o, None, cr, cw).completed()
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens


@settings(max_examples=300)
@given(st.sampled_from(MODELS), usages())
def test_cost_is_never_negative_and_total_is_input_plus_output(model: tuple[str, str], raw: Usage) -> None:
    provider, name = model
    priced = price_usage(raw.completed(), name, provider, AT)
    if priced.status in (CostStatus.PRICED, CostStatus.PARTIAL):
        assert priced.input >= 0 and priced.output >= 0
        assert priced.total == priced.input + priced.output
    else:
        assert priced.total is None  # never a silent $0


@settings(max_examples=300)
@given(st.sampled_from(MODELS[:-1]), counts, counts, counts, counts)
def test_cache_tokens_are_never_counted_twice(model: tuple[str, str], uncached: int, o: int, cr: int, cw: int) -> None:
    """Anthropic's raw counts (input without the cache) and OpenTelemetry's (input with it) are
    the same call and cost the same; the cache tokens are not also billed as plain input."""
    provider, name = model
    otel = price_usage(Usage(uncached + cr + cw, o, None, cr, cw).completed(), name, provider, AT)
    if cr + cw > uncached:  # only then can the raw form be recognised as raw
        raw = price_usage(Usage(uncached, o, None, cr, cw).completed(), name, provider, AT)
        assert raw.total == otel.total
    # Cache reads are billed at most at the input rate: reading from the cache never adds cost.
    reads = price_usage(Usage(uncached + cr, o, None, cr).completed(), name, provider, AT)
    plain = price_usage(Usage(uncached + cr, o).completed(), name, provider, AT)
    if reads.total is not None:  # None: only unpriced token types (output on an embedding model)
        assert reads.total <= plain.total


@settings(max_examples=300)
@given(st.sampled_from(MODELS[:-1]), counts, counts, counts, counts, counts)
def test_the_fast_path_equals_genai_prices_own_calculation(
    model: tuple[str, str], uncached: int, o: int, cr: int, cw: int, r: int
) -> None:
    provider, name = model
    usage = Usage(uncached + cr + cw, o + r, None, cr, cw, r).completed()
    priced = price_usage(usage, name, provider, AT)
    if priced.status is CostStatus.UNPRICED:  # no present token type has a rate: None, where genai-prices says 0
        assert priced.total is None
        return
    reference = (
        find_model(name, provider)
        .get_prices(AT)
        .calc_price(
            PricedUsage(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_tokens=cr,
                cache_write_tokens=cw,
                output_reasoning_tokens=r,
            )
        )
    )
    assert (priced.input, priced.output, priced.total) == (
        reference["input_price"],
        reference["output_price"],
        reference["total_price"],
    )
    assert isinstance(priced.total, Decimal)
