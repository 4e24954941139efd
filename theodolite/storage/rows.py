"""Conversions between the canonical model and table rows, in one place for writer and readers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from theodolite.model import Observation, Score, Trace


def trace_to_row(project_id: int, trace: Trace, now: datetime) -> dict[str, Any]:
    return {
        "id": trace.id,
        "project_id": project_id,
        "timestamp": trace.timestamp,
        "name": trace.name,
        "root_observation_id": trace.root_observation_id,
        "user_id": trace.user_id,
        "session_id": trace.session_id,
        "release": trace.release,
        "version": trace.version,
        "environment": trace.environment,
        "tags": trace.tags,
        "metadata": trace.metadata,
        "created_at": now,
        "updated_at": now,
    }


def row_to_trace(row: Any) -> Trace:
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


def observation_to_row(project_id: int, obs: Observation) -> dict[str, Any]:
    usage, cost = obs.usage, obs.cost
    return {
        "id": obs.id,
        "trace_id": obs.trace_id,
        "project_id": project_id,
        "parent_observation_id": obs.parent_observation_id,
        "type": obs.type.value,
        "name": obs.name,
        "start_time": obs.start_time,
        "end_time": obs.end_time,
        "completion_start_time": obs.completion_start_time,
        "level": obs.level.value,
        "status_message": obs.status_message,
        "model": obs.model,
        "request_model": obs.request_model,
        "provider": obs.provider,
        "model_parameters": obs.model_parameters,
        "source": obs.source,
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "input_cost": cost.reported_input,
        "output_cost": cost.reported_output,
        "total_cost": cost.reported_total,
        "calculated_input_cost": cost.calculated_input,
        "calculated_output_cost": cost.calculated_output,
        "calculated_total_cost": cost.calculated_total,
        "cost_status": cost.status.value,
        "metadata": obs.metadata,
        "version": obs.version,
        "environment": obs.environment,
    }


def payload_to_row(obs: Observation, encode: Callable[[Any], Any]) -> dict[str, Any] | None:
    """The payload row, its document already in the engine's stored form (`types.payload_encoder`)."""
    if obs.input is None and obs.output is None and not obs.attributes:
        return None
    return {
        "observation_id": obs.id,
        "payload": encode({"input": obs.input, "output": obs.output, "attributes": obs.attributes or None}),
    }


def score_to_row(project_id: int, score: Score, now: datetime) -> dict[str, Any]:
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
        "metadata": score.metadata,
        "timestamp": score.timestamp,
        "created_at": now,
    }
