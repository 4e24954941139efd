"""Conversions between the canonical model and table rows, in one place for writer and readers.

`prepare_batch` turns a decoded Batch into rows already encoded for one engine. It is pure and
its result picklable, so the server runs it in decode worker processes, next to decoding; the
single writer thread is left with only the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from theodolite.model import (
    Batch,
    Cost,
    CostStatus,
    Level,
    Observation,
    ObservationType,
    Rejection,
    Score,
    Trace,
    Usage,
)
from theodolite.model.facts import ObservationFacts, observation_facts
from theodolite.model.rollup_deltas import RollupDeltas
from theodolite.storage.codec import ValueCodec
from theodolite.storage.nul_characters import NUL, REPLACEMENT, clean_batch
from theodolite.storage.search_text import extract_text, spaced_tokens, sqlite_document, tsvector


@dataclass(slots=True)
class PreparedBatch:
    """One request's data for one project, as rows for the writer (traces stay objects: the
    writer merges them with what is stored)."""

    project_id: int
    traces: list[Trace] = field(default_factory=list)
    observation_rows: list[dict[str, Any]] = field(default_factory=list)  # without "seq": the writer assigns it
    payloads: list[Any] = field(default_factory=list)  # one per observation row, None when it has none
    # PostgreSQL and ClickHouse: one per observation row, its full-text search document
    # (`search_document`), None for none. SQLite: empty (made after the commit from the payloads).
    search_documents: list[str | None] = field(default_factory=list)
    score_rows: list[dict[str, Any]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    # One per observation row: what /metrics counts once the batch is committed.
    facts: list[ObservationFacts] = field(default_factory=list)
    # Filled by the writer: span ids (of observation_rows) already stored, a client's retry; what
    # is counted at commit (metrics) skips them.
    duplicate_ids: set[str] = field(default_factory=set)
    # Langfuse and LangSmith batches, whose observations a later request may complete: the decoded
    # observations (one per row), the ids this batch only updates, and the prices it was priced
    # with. The writer merges them into stored ones (`observation_merges.py`). None for OTLP.
    observations: list[Observation] | None = None
    updates: set[str] = field(default_factory=set)
    overrides: Any = None
    # What the observation rows add to the analytics rollups, summed where the batch is prepared (a
    # decode worker) instead of on the writer's thread; None for mergeable batches (the writer
    # knows what they add only once merged).
    rollups: RollupDeltas | None = None

    def size(self) -> int:
        return len(self.observation_rows) + len(self.score_rows) + len(self.traces)


def prepare_batch(
    project_id: int,
    batch: Batch,
    codec: ValueCodec,
    now: datetime,
    *,
    documents: bool | None = None,
    overrides: Any = None,
    mergeable: bool = False,
) -> PreparedBatch:
    """Encode a batch's observations and scores for `codec`'s engine. Pure, CPU-bound. Search
    documents are made for PostgreSQL and ClickHouse, or when `documents` says so (the demo, which has no decode
    workers and would otherwise have the writer make them again from the payloads)."""
    # Before anything reads the batch: ids key the traces, merges and rows (`nul_characters.py`).
    clean_batch(batch)
    prepared = PreparedBatch(project_id, traces=batch.traces, rejections=list(batch.rejections))
    seen: dict[str, set[str]] = {}  # per trace, the strings already indexed for this request
    # SQLite makes documents after the commit, from the stored payloads (`writer.py`): a document
    # made here would cost the decode worker, on the ingest path, ~15% more per span.
    if documents is None:
        documents = codec.dialect_name != "sqlite"
    for obs in batch.observations:
        prepared.observation_rows.append(observation_to_row(project_id, obs, codec))
        prepared.payloads.append(encode_payload(obs, codec))
        if documents:
            strings = seen.setdefault(obs.trace_id, set())
            prepared.search_documents.append(search_document(obs.input, obs.output, codec, strings))
        prepared.facts.append(observation_facts(obs))
    prepared.score_rows = [score_to_row(project_id, score, codec, now) for score in batch.scores]
    if mergeable:
        prepared.observations, prepared.updates, prepared.overrides = batch.observations, batch.updates, overrides
    else:
        prepared.rollups = RollupDeltas()
        prepared.rollups.add_observations(prepared.observation_rows)
    return prepared


def trace_to_row(
    project_id: int, trace: Trace, codec: ValueCodec, created_at: Any, now: datetime, timestamp_seq: int | None
) -> dict[str, Any]:
    """`trace.id` is the storage key (`trace_keys.py`). `created_at` is passed through as stored
    (already encoded) when the trace existed."""
    return {
        "id": trace.id,
        "project_id": project_id,
        "timestamp": codec.time(trace.timestamp),
        "name": trace.name,
        "root_observation_id": trace.root_observation_id,
        "user_id": trace.user_id,
        "session_id": trace.session_id,
        "release": trace.release,
        "version": trace.version,
        "environment": trace.environment,
        "tags": codec.json(trace.tags),
        "metadata": codec.json(trace.metadata),
        "created_at": created_at if created_at is not None else codec.time(now),
        "updated_at": codec.time(now),
        "timestamp_seq": timestamp_seq or 0,
    }


def row_to_trace(row: Any) -> Trace:
    """A `traces` row read through SQLAlchemy (decoded types) back to the model."""
    return Trace(
        id=row.id,
        timestamp=row.timestamp,
        name=row.name,
        user_id=row.user_id,
        session_id=row.session_id,
        tags=list(row.tags or []),
        metadata=row.metadata,
        release=row.release,
        version=row.version,
        environment=row.environment,
        is_root_seen=row.root_observation_id is not None,
        root_observation_id=row.root_observation_id,
    )


def row_to_observation(row: Any) -> Observation:
    """An `observations` row read through SQLAlchemy (decoded types), with its `payload`."""
    payload = row.payload or {}
    return Observation(
        id=row.id, trace_id=row.trace_id, start_time=row.start_time, type=ObservationType(row.type), name=row.name,
        parent_observation_id=row.parent_observation_id, end_time=row.end_time,
        completion_start_time=row.completion_start_time, level=Level(row.level), status_message=row.status_message,
        model=row.model, request_model=row.request_model, provider=row.provider,
        model_parameters=row.model_parameters, source=row.source,
        usage=Usage(row.prompt_tokens, row.completion_tokens, row.total_tokens, row.cache_read_tokens,
                    row.cache_write_tokens, row.reasoning_tokens),
        cost=Cost(row.input_cost, row.output_cost, row.total_cost, row.calculated_input_cost,
                  row.calculated_output_cost, row.calculated_total_cost, CostStatus(row.cost_status), row.saved_cost),
        input=payload.get("input"), output=payload.get("output"), metadata=row.metadata,
        attributes=payload.get("attributes"), version=row.version, environment=row.environment,
    )  # fmt: skip


def observation_to_row(project_id: int, obs: Observation, codec: ValueCodec) -> dict[str, Any]:
    usage, cost, time, money = obs.usage, obs.cost, codec.time, codec.money
    return {
        "trace_id": obs.trace_id,
        "id": obs.id,
        "project_id": project_id,
        "parent_observation_id": obs.parent_observation_id,
        "type": obs.type.value,
        "name": obs.name,
        "start_time": time(obs.start_time),
        "end_time": time(obs.end_time),
        "completion_start_time": time(obs.completion_start_time),
        "level": obs.level.value,
        "status_message": obs.status_message,
        "model": obs.model,
        "request_model": obs.request_model,
        "provider": obs.provider,
        "model_parameters": codec.json(obs.model_parameters),
        "source": obs.source,
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "input_cost": money(cost.reported_input),
        "output_cost": money(cost.reported_output),
        "total_cost": money(cost.reported_total),
        "calculated_input_cost": money(cost.calculated_input),
        "calculated_output_cost": money(cost.calculated_output),
        "calculated_total_cost": money(cost.calculated_total),
        "cost_status": cost.status.value,
        "saved_cost": money(cost.saved),
        "metadata": codec.json(obs.metadata),
        "version": obs.version,
        "environment": obs.environment,
    }


def encode_payload(obs: Observation, codec: ValueCodec) -> Any:
    """The `observation_payloads.payload` value, or None when the observation has nothing to keep."""
    if obs.input is None and obs.output is None and not obs.attributes:
        return None
    return codec.payload({"input": obs.input, "output": obs.output, "attributes": obs.attributes or None})


def search_document(input: Any, output: Any, codec: ValueCodec, seen: set[str] | None = None) -> str | None:
    """The observation's full-text document for `codec`'s engine (`storage/search.py`), or None
    when its input and output hold no text (or only strings in `seen`)."""
    if input is None and output is None:
        return None
    found = extract_text(input, output, seen=seen)
    if not found:
        return None
    if NUL in found:  # PostgreSQL's tsvector is text; both engines index the same (`nul_characters.py`)
        found = found.replace(NUL, REPLACEMENT)
    if codec.dialect_name == "sqlite":
        return sqlite_document(found)
    if codec.dialect_name == "clickhouse":
        return spaced_tokens(found) or None
    return tsvector(found) or None


def score_to_row(project_id: int, score: Score, codec: ValueCodec, now: datetime) -> dict[str, Any]:
    return {
        "id": score.id,
        "project_id": project_id,
        "trace_id": score.trace_id,
        "observation_id": score.observation_id,
        "session_id": score.session_id,
        "name": score.name,
        "value": score.value,
        "string_value": score.string_value,
        "data_type": score.data_type.value,
        "source": score.source,
        "comment": score.comment,
        "metadata": codec.json(score.metadata),
        "timestamp": codec.time(score.timestamp),
        "created_at": codec.time(now),
        "config_id": score.config_id,
    }
