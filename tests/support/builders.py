"""Building canonical-model objects for storage and query tests."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from theodolite.model import Batch, CostStatus, Level, Observation, ObservationType, Trace, Usage
from theodolite.model.entities import Cost
from theodolite.storage.codec import ValueCodec
from theodolite.storage.engine import Database
from theodolite.storage.rows import PreparedBatch, prepare_batch

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def new_id(nbytes: int) -> str:
    return os.urandom(nbytes).hex()


def trace_batch(
    *,
    trace_id: str | None = None,
    at: datetime = T0,
    name: str = "handle_question",
    user_id: str | None = "u1",
    session_id: str | None = "s1",
    agent: str = "atlas",
    tags: list[str] | None = None,
    model: str = "gpt-4o-mini",
    tokens: tuple[int, int] = (12, 5),
    cost: str | None = "0.001",
    level: Level = Level.DEFAULT,
) -> Batch:
    """A root span and one generation under it, as one batch."""
    trace_id = trace_id or new_id(16)
    root_id, llm_id = new_id(8), new_id(8)
    from decimal import Decimal

    root = Observation(
        id=root_id,
        trace_id=trace_id,
        start_time=at,
        end_time=at + timedelta(seconds=2),
        name=name,
        input={"question": "hi"},
        output={"answer": "hello"},
    )
    llm = Observation(
        id=llm_id,
        trace_id=trace_id,
        parent_observation_id=root_id,
        start_time=at + timedelta(milliseconds=100),
        end_time=at + timedelta(seconds=1),
        type=ObservationType.GENERATION,
        name="chat",
        model=model,
        provider="openai",
        level=level,
        source="provider",
        usage=Usage(tokens[0], tokens[1]).completed(),
        cost=Cost(calculated_total=Decimal(cost), status=CostStatus.PRICED)
        if cost
        else Cost(status=CostStatus.UNPRICED),
        input=[{"role": "user", "content": "hi"}],
        output=[{"role": "assistant", "content": "hello"}],
    )
    trace = Trace(
        id=trace_id,
        timestamp=at,
        name=name,
        user_id=user_id,
        session_id=session_id,
        tags=list(tags or []),
        metadata={"agent": agent},
        is_root_seen=True,
        root_observation_id=root_id,
    )
    return Batch(traces=[trace], observations=[root, llm])


def prepared(database: Database, project_id: int, batch: Batch) -> PreparedBatch:
    """A batch encoded for `database`'s engine, as the server's decode workers hand it over."""
    return prepare_batch(project_id, batch, ValueCodec(database.dialect_name), datetime.now(UTC))
