"""The demo traffic generator: pure, deterministic, and covering what the screens need."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from theodolite.cli.demo_batches import DemoJob, demo_batches
from theodolite.demo import MODELS, generate_traffic
from theodolite.demo.traffic import generate_part, traffic_parts
from theodolite.ingestion.costing import NO_OVERRIDES
from theodolite.model import Batch, CostStatus, Level, Observation, ObservationType, Trace
from theodolite.model.entities import GENERATION_LIKE

NOW = datetime(2026, 3, 4, 15, 30, 12, tzinfo=UTC)
DAYS, PER_DAY = 7, 400


def generate(seed: int = 42, now: datetime = NOW, days: int = DAYS, per_day: int = PER_DAY) -> list[Batch]:
    return list(generate_traffic(now, random.Random(seed), days=days, traces_per_day=per_day))


@pytest.fixture(scope="module")
def batches() -> list[Batch]:
    return generate()


@pytest.fixture(scope="module")
def traces(batches: list[Batch]) -> list[Trace]:
    return [t for b in batches for t in b.traces]


@pytest.fixture(scope="module")
def observations(batches: list[Batch]) -> list[Observation]:
    return [o for b in batches for o in b.observations]


def ids(batches: list[Batch]) -> list[str]:
    every = [t.id for b in batches for t in b.traces] + [o.id for b in batches for o in b.observations]
    return sorted(every + [s.id for b in batches for s in b.scores])


def test_same_seed_same_traffic_and_ids_do_not_depend_on_now(batches: list[Batch]) -> None:
    assert generate() == batches
    # A re-run an hour and a half later must name the same traces, or it would store them twice.
    later = generate(now=NOW + timedelta(hours=1, minutes=30))
    assert ids(later) == ids(batches)
    assert set(ids(generate(seed=43))).isdisjoint(ids(batches))


def test_counts_batching_and_id_formats(batches: list[Batch], traces: list[Trace], observations) -> None:
    assert len(traces) == DAYS * PER_DAY
    assert len({t.id for t in traces}) == len(traces)
    assert len({o.id for o in observations}) == len(observations)
    assert all(len(b.traces) >= 50 for b in batches[:-1]) and max(len(b.traces) for b in batches) < 60
    assert all(len(t.id) == 32 and int(t.id, 16) >= 0 for t in traces)
    assert all(len(o.id) == 16 and int(o.id, 16) >= 0 for o in observations)
    assert len(generate(days=1, per_day=3)[0].traces) == 3


def test_every_observation_has_its_trace_part_and_root_in_the_same_batch(batches: list[Batch]) -> None:
    for batch in batches:
        parts = {t.id: t for t in batch.traces}
        by_id = {o.id: o for o in batch.observations}
        assert all(o.trace_id in parts for o in batch.observations)
        for trace in batch.traces:
            assert trace.is_root_seen
            root = by_id[trace.root_observation_id]
            assert root.trace_id == trace.id and root.parent_observation_id is None and root.name == trace.name
        for obs in batch.observations:
            if obs.parent_observation_id is not None:
                parent = by_id[obs.parent_observation_id]
                assert parent.trace_id == obs.trace_id
                assert parent.start_time <= obs.start_time and (obs.end_time or obs.start_time) <= parent.end_time
        assert all(s.trace_id in parts for s in batch.scores)
        assert all(s.observation_id in by_id for s in batch.scores if s.observation_id)


def test_timestamps_lie_in_the_window_and_follow_a_daily_cycle(batches, traces, observations) -> None:
    start = NOW - timedelta(days=DAYS)
    instants = [t.timestamp for t in traces] + [s.timestamp for b in batches for s in b.scores]
    for obs in observations:
        instants += [obs.start_time] + [t for t in (obs.end_time, obs.completion_start_time) if t is not None]
        assert obs.end_time is None or obs.start_time <= obs.end_time
    assert all(start <= t <= NOW for t in instants)
    assert all(t.tzinfo is not None for t in instants)
    by_hour = Counter(t.timestamp.hour for t in traces)
    working = sum(by_hour[h] for h in range(9, 17)) / 8
    night = sum(by_hour[h] for h in range(0, 6)) / 6
    assert working > 4 * night
    by_day = Counter((t.timestamp - start) // timedelta(days=1) for t in traces)
    assert len(by_day) >= DAYS and max(by_day.values()) < 1.3 * PER_DAY


def test_types_agents_models_and_providers_are_all_present(traces, observations) -> None:
    wanted = {"agent", "chain", "retriever", "tool", "generation", "embedding", "guardrail", "event"}
    assert wanted <= {o.type.value for o in observations}
    assert {t.metadata["agent"] for t in traces} == {
        "support-agent",
        "research-agent",
        "sql-agent",
        "summarizer",
        "triage-agent",
    }
    assert all(t.metadata.keys() == {"agent", "feature"} for t in traces)
    assert {o.provider for o in observations if o.provider} == {
        "openai",
        "anthropic",
        "google",
        "mistral",
        "self-hosted",
    }
    assert {spec.response_model for spec in MODELS.values()} <= {o.model for o in observations}


def test_generation_sources_errors_and_warnings(traces, observations) -> None:
    generations = [o for o in observations if o.type is ObservationType.GENERATION]
    sources = Counter(o.source for o in generations)
    assert set(sources) == {"provider", "cache", "fallback_template", "fallback_hardcoded"}
    assert 0.10 < sources["cache"] / len(generations) < 0.20
    assert sources["provider"] > 0.75 * len(generations)
    cached = [o for o in generations if o.source == "cache"]
    assert all((o.end_time - o.start_time) < timedelta(milliseconds=50) for o in cached)
    assert all(not o.usage.is_empty() for o in cached)
    assert all(o.level is Level.WARNING and o.usage.is_empty() for o in generations if o.source.startswith("fallback"))
    failed = {o.trace_id for o in observations if o.level is Level.ERROR}
    assert 0.015 < len(failed) / len(traces) < 0.05
    errors = [o for o in observations if o.level is Level.ERROR]
    assert all(o.status_message for o in errors)
    assert {o.type for o in errors} == {ObservationType.TOOL, ObservationType.AGENT, ObservationType.CHAIN}
    assert any(o.level is Level.WARNING and o.type is ObservationType.GUARDRAIL for o in observations)


def test_usage_follows_the_opentelemetry_rule(observations) -> None:
    with_usage = [o for o in observations if not o.usage.is_empty()]
    assert with_usage
    for obs in with_usage:
        usage = obs.usage
        assert obs.type in GENERATION_LIKE
        assert usage.total_tokens == usage.input_tokens + (usage.output_tokens or 0)
        assert (usage.cache_read_tokens or 0) + (usage.cache_write_tokens or 0) <= usage.input_tokens
        assert (usage.reasoning_tokens or 0) <= (usage.output_tokens or 0)
        assert obs.cost.status is CostStatus.UNPRICED and obs.cost.calculated_total is None
    assert any(o.usage.cache_read_tokens for o in with_usage) and any(o.usage.cache_write_tokens for o in with_usage)
    assert any(o.usage.reasoning_tokens for o in with_usage)
    assert all(o.cost.status is CostStatus.NOT_APPLICABLE for o in observations if o.usage.is_empty())


def test_generations_have_time_to_first_token_and_structured_messages(observations) -> None:
    answered = [o for o in observations if o.type is ObservationType.GENERATION and not o.usage.is_empty()]
    assert all(o.start_time < o.completion_start_time <= o.end_time for o in answered)
    for obs in answered:
        assert isinstance(obs.input, list) and obs.input[-1]["role"] == "user"
        assert all(set(m) >= {"role", "content"} for m in obs.input)
        assert obs.output[0]["role"] == "assistant"


def test_sessions_users_tags_releases_and_scores(batches, traces) -> None:
    sessions = Counter(t.session_id for t in traces if t.session_id)
    assert sum(1 for n in sessions.values() if n > 1) > 50
    users = {t.user_id for t in traces if t.user_id}
    assert 35 <= len(users) <= 40
    assert {tag for t in traces for tag in t.tags} == {"prod", "beta", "eval"}
    assert {t.environment for t in traces} == {"production"}
    midpoint = NOW - timedelta(days=DAYS) / 2
    assert {t.release for t in traces if t.timestamp < midpoint - timedelta(hours=1)} == {"v1.4.0"}
    assert {t.release for t in traces if t.timestamp > midpoint + timedelta(hours=1)} == {"v1.5.0"}
    scores = [s for b in batches for s in b.scores]
    names = Counter(s.name for s in scores)
    assert set(names) == {"user-feedback", "relevance"}
    assert {s.value for s in scores if s.name == "user-feedback"} == {0.0, 1.0}
    assert all(0 <= s.value <= 1 for s in scores if s.name == "relevance")
    assert len({s.id for s in scores}) == len(scores)


def test_parts_made_apart_give_the_same_traffic(batches: list[Batch]) -> None:
    """What worker processes make of a day's slices (`theodolite demo` at volume) is what one
    generator makes: the same rows, field for field, in the same order."""
    parts = traffic_parts(NOW, random.Random(42), days=DAYS, traces_per_day=PER_DAY, parts_per_day=3)
    assert len(parts) == DAYS * 3
    list(generate_part(parts[-1]))  # made in any order, by any process
    apart = [batch for part in parts for batch in generate_part(part)]
    for kind in ("traces", "observations", "scores"):
        assert [row for b in apart for row in getattr(b, kind)] == [row for b in batches for row in getattr(b, kind)]


def test_demo_batches_from_a_worker_process_equal_those_made_here() -> None:
    parts = traffic_parts(NOW, random.Random(5), days=1, traces_per_day=60, parts_per_day=2)
    job = DemoJob(project_id=1, dialect_name="sqlite", overrides=NO_OVERRIDES, now=NOW)
    here = list(demo_batches(parts, job, workers=0))
    there = list(demo_batches(parts, job, workers=1))
    assert [made.prepared.observation_rows for made in there] == [made.prepared.observation_rows for made in here]
    assert [made.prepared.rollups.cells.keys() for made in there] == [
        made.prepared.rollups.cells.keys() for made in here
    ]
    assert sum(made.traces for made in there) == 60
