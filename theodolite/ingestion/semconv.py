"""Attribute vocabularies -> canonical fields, as data.

Each rule names a canonical field, the attribute keys that may carry it (first present wins, so
the order in a rule *is* the precedence between vocabularies), and a converter. Adding a vocabulary
means adding keys to these tables, not code. Keys a rule consumes are removed from the span's
attributes; what is left is kept verbatim in the observation's `attributes` payload.

This module knows the OpenTelemetry GenAI conventions (current and deprecated names) and
Theodolite's own `theodolite.*` keys; the other vocabularies (OpenInference, Traceloop, OpenLIT,
Langfuse, LangSmith) are added by the normalisation issue.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from theodolite.model import Level, ObservationType


def to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value >= 0:
        return int(value)
    if isinstance(value, str):
        try:
            parsed = int(float(value))
        except ValueError:
            return None
        return parsed if parsed >= 0 else None
    return None


def to_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def to_text(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text or None


def to_json(value: Any) -> Any:
    """Structured values stay structured; JSON text is parsed (messages arrive as JSON strings)."""
    if isinstance(value, str):
        stripped = value.lstrip()
        if stripped[:1] in ("[", "{", '"'):
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                return value
    return value


def to_tags(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(tag) for tag in value if tag not in (None, "")]
    if isinstance(value, str):
        parsed = to_json(value)
        if isinstance(parsed, list):
            return to_tags(parsed)
        return [tag.strip() for tag in value.split(",") if tag.strip()]
    return []


# gen_ai.operation.name values -> observation type (OTel GenAI semconv 1.37+).
OPERATION_TYPES = {
    "chat": ObservationType.GENERATION,
    "text_completion": ObservationType.GENERATION,
    "generate_content": ObservationType.GENERATION,
    "embeddings": ObservationType.EMBEDDING,
    "execute_tool": ObservationType.TOOL,
    "invoke_agent": ObservationType.AGENT,
    "create_agent": ObservationType.AGENT,
}


def to_observation_type(value: Any) -> ObservationType | None:
    if not isinstance(value, str):
        return None
    lowered = value.lower()
    if lowered in OPERATION_TYPES:
        return OPERATION_TYPES[lowered]
    try:
        return ObservationType(lowered)
    except ValueError:
        return None


def to_level(value: Any) -> Level | None:
    if isinstance(value, str):
        try:
            return Level(value.upper())
        except ValueError:
            return None
    return None


@dataclass(frozen=True, slots=True)
class FieldRule:
    field: str
    keys: tuple[str, ...]
    convert: Callable[[Any], Any]


# Order inside `keys` is precedence: our own explicit keys first, then current semconv, then deprecated.
OBSERVATION_RULES: tuple[FieldRule, ...] = (
    FieldRule("type", ("theodolite.observation.type", "gen_ai.operation.name"), to_observation_type),
    FieldRule("level", ("theodolite.observation.level",), to_level),
    FieldRule("status_message", ("theodolite.observation.status_message",), to_text),
    FieldRule("request_model", ("gen_ai.request.model",), to_text),
    FieldRule("response_model", ("gen_ai.response.model",), to_text),
    FieldRule("provider", ("theodolite.provider", "gen_ai.provider.name", "gen_ai.system"), to_text),
    FieldRule("source", ("theodolite.generation.source",), to_text),
    FieldRule("input_tokens", ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"), to_int),
    FieldRule("output_tokens", ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"), to_int),
    FieldRule("total_tokens", ("gen_ai.usage.total_tokens", "llm.usage.total_tokens"), to_int),
    FieldRule("cache_read_tokens", ("gen_ai.usage.cache_read.input_tokens",), to_int),
    FieldRule("cache_write_tokens", ("gen_ai.usage.cache_creation.input_tokens",), to_int),
    FieldRule("reasoning_tokens", ("gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens"), to_int),
    FieldRule("ttft_s", ("gen_ai.server.time_to_first_token", "gen_ai.response.time_to_first_chunk"), to_float),
    FieldRule("input", ("gen_ai.input.messages", "input.value", "theodolite.observation.input"), to_json),
    FieldRule("output", ("gen_ai.output.messages", "output.value", "theodolite.observation.output"), to_json),
    FieldRule("system_instructions", ("gen_ai.system_instructions",), to_json),
    FieldRule("version", ("theodolite.version",), to_text),
)

TRACE_RULES: tuple[FieldRule, ...] = (
    FieldRule("trace_name", ("theodolite.trace.name",), to_text),
    FieldRule("user_id", ("user.id", "enduser.id"), to_text),
    FieldRule("session_id", ("session.id", "gen_ai.conversation.id"), to_text),
    FieldRule("tags", ("theodolite.trace.tags",), to_tags),
    FieldRule("release", ("theodolite.release", "service.version"), to_text),
    FieldRule(
        "environment", ("theodolite.environment", "deployment.environment.name", "deployment.environment"), to_text
    ),
)

# Attributes that become trace metadata under a readable key (seed 000 groups traces by
# `metadata->>'agent'`). Unlike the rules above these are copied, not consumed.
TRACE_METADATA_KEYS: dict[str, str] = {
    "gen_ai.agent.name": "agent",
    "service.name": "service",
}

# Request parameters: attribute -> key in `model_parameters`.
MODEL_PARAMETER_KEYS: dict[str, str] = {
    "gen_ai.request.temperature": "temperature",
    "gen_ai.request.max_tokens": "max_tokens",
    "gen_ai.request.top_p": "top_p",
    "gen_ai.request.top_k": "top_k",
    "gen_ai.request.frequency_penalty": "frequency_penalty",
    "gen_ai.request.presence_penalty": "presence_penalty",
    "gen_ai.request.seed": "seed",
    "gen_ai.request.stop_sequences": "stop_sequences",
    "gen_ai.request.choice.count": "n",
}

# Prefixes whose suffix is a metadata key: one attribute per key.
OBSERVATION_METADATA_PREFIXES = ("theodolite.metadata.",)
TRACE_METADATA_PREFIXES = ("theodolite.trace.metadata.",)


def apply_rules(rules: tuple[FieldRule, ...], attributes: dict[str, Any], *, consume: bool = True) -> dict[str, Any]:
    """Pick canonical fields out of `attributes`, removing the keys it used when `consume`."""
    found: dict[str, Any] = {}
    for rule in rules:
        for key in rule.keys:
            if key not in attributes:
                continue
            value = rule.convert(attributes[key])
            if consume:
                del attributes[key]
            if value is not None and rule.field not in found:
                found[rule.field] = value
    return found


def take_prefixed(attributes: dict[str, Any], prefixes: tuple[str, ...]) -> dict[str, Any]:
    """Remove `prefix.key` attributes and return them as {key: value} (JSON text parsed)."""
    picked: dict[str, Any] = {}
    for key in [k for k in attributes if k.startswith(prefixes)]:
        for prefix in prefixes:
            if key.startswith(prefix):
                picked[key[len(prefix) :]] = to_json(attributes.pop(key))
                break
    return picked


def take_model_parameters(attributes: dict[str, Any]) -> dict[str, Any] | None:
    params = {name: attributes.pop(key) for key, name in MODEL_PARAMETER_KEYS.items() if key in attributes}
    return params or None


def copy_trace_metadata(attributes: dict[str, Any]) -> dict[str, Any]:
    return {name: attributes[key] for key, name in TRACE_METADATA_KEYS.items() if key in attributes}
