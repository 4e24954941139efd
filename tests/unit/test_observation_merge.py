"""The merge rules of an observation written in parts (`model/merging.py`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from theodolite.model import Cost, CostStatus, Level, Observation, ObservationType, Usage
from theodolite.model.merging import is_complete, merge_observation

T0 = datetime(2026, 11, 30, 10, tzinfo=UTC)


def create() -> Observation:
    return Observation(
        id="o", trace_id="t", start_time=T0, type=ObservationType.GENERATION, name="chat", model="gpt-4o-mini",
        input=[{"role": "user", "content": "hi"}], metadata={"a": 1, "b": 1},
        cost=Cost(calculated_total=Decimal("1"), status=CostStatus.PRICED),
    )  # fmt: skip


def update() -> Observation:
    return Observation(
        id="o", trace_id="t", start_time=T0 + timedelta(seconds=9), end_time=T0 + timedelta(seconds=2),
        output="hello", usage=Usage(12, 5, 17), metadata={"b": 2}, level=Level.ERROR, status_message="boom",
    )  # fmt: skip


def test_an_update_completes_what_its_create_started() -> None:
    merged = merge_observation(create(), update(), partial=True)
    assert (merged.start_time, merged.end_time) == (
        T0,
        T0 + timedelta(seconds=2),
    )  # the update's start is a placeholder
    assert (merged.type, merged.name, merged.model) == (ObservationType.GENERATION, "chat", "gpt-4o-mini")
    assert merged.input == [{"role": "user", "content": "hi"}] and merged.output == "hello"
    assert merged.usage == Usage(12, 5, 17) and merged.metadata == {"a": 1, "b": 2}
    assert (merged.level, merged.status_message) == (Level.ERROR, "boom")
    assert merged.cost == Cost()  # priced again by the caller: model and usage came from two parts
    assert is_complete(merged) and not is_complete(create())


def test_a_create_after_its_update_takes_its_own_start_and_keeps_the_end() -> None:
    merged = merge_observation(update(), create(), partial=False)
    assert (merged.start_time, merged.end_time, merged.output) == (T0, T0 + timedelta(seconds=2), "hello")
    assert merged.type is ObservationType.GENERATION and merged.level is Level.ERROR


def test_a_later_default_level_does_not_clear_an_error_and_a_retry_changes_nothing() -> None:
    failed = merge_observation(create(), update(), partial=True)
    again = merge_observation(failed, Observation(id="o", trace_id="t", start_time=T0), partial=True)
    assert again.level is Level.ERROR and again.output == "hello"
    assert merge_observation(failed, failed, partial=False) == merge_observation(failed, failed, partial=True)
