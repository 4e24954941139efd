"""Attribute vocabularies -> canonical fields, as data.

Each rule names a canonical field, the attribute keys that may carry it and a converter. Several
rules may fill one field: the first rule, and inside it the first key, that yields a value wins,
so **the order of these tables is the precedence between vocabularies**. The key that won is
removed from the span's attributes; keys that lost (a second vocabulary saying something else)
stay in the observation's `attributes` payload, so a disagreement is visible and nothing is lost.

Precedence, for every field (docs/normalisation.md has the reasons and the tests):
  1. Theodolite's own keys (`theodolite.*`), set on purpose by our SDK or the user;
  2. Langfuse's (`langfuse.*`), set through the Langfuse SDK's explicit API;
  3. OpenTelemetry GenAI, current names;
  4. OpenInference (`llm.*`, `openinference.*`, `input.value`...);
  5. Traceloop / OpenLLMetry (`traceloop.*`, legacy `gen_ai.prompt.N.*`, `llm.usage.*`);
  6. LangSmith (`langsmith.*`);
  7. OpenTelemetry GenAI, deprecated names (`gen_ai.system`, `gen_ai.usage.prompt_tokens`...).
One exception: for the observation *type*, the vendors' span kinds (2, 4, 6, 5) come before
`gen_ai.operation.name`, because they are what the user chose (`@observe(as_type=...)`,
`run_type=...`) and some vendors fill the operation name loosely (LangSmith sends
`embeddings` for a retriever).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from theodolite.ingestion.flattened import take_indexed
from theodolite.ingestion.values import (
    from_json_text,
    to_datetime,
    to_dict,
    to_float,
    to_int,
    to_json,
    to_provider,
    to_tags,
    to_text,
)
from theodolite.model import Level, ObservationType

T = ObservationType

# Each vocabulary's span kinds -> observation type (keys compared lower-case).
OPERATION_TYPES = {  # gen_ai.operation.name (OTel GenAI semconv 1.37+)
    "chat": T.GENERATION, "text_completion": T.GENERATION, "generate_content": T.GENERATION,
    "embeddings": T.EMBEDDING, "execute_tool": T.TOOL, "invoke_agent": T.AGENT, "create_agent": T.AGENT,
    "retrieval": T.RETRIEVER,
}  # fmt: skip
OPENINFERENCE_KINDS = {
    "llm": T.GENERATION, "chain": T.CHAIN, "tool": T.TOOL, "retriever": T.RETRIEVER, "reranker": T.RETRIEVER,
    "embedding": T.EMBEDDING, "agent": T.AGENT, "guardrail": T.GUARDRAIL, "evaluator": T.EVALUATOR,
    "prompt": T.SPAN, "decision": T.CHAIN, "unknown": T.SPAN,
}  # fmt: skip
LANGSMITH_KINDS = {
    "llm": T.GENERATION, "chain": T.CHAIN, "tool": T.TOOL, "retriever": T.RETRIEVER, "embedding": T.EMBEDDING,
    "prompt": T.SPAN, "parser": T.SPAN,
}  # fmt: skip
TRACELOOP_KINDS = {"workflow": T.CHAIN, "task": T.SPAN, "tool": T.TOOL, "agent": T.AGENT}
LLM_REQUEST_TYPES = {"chat": T.GENERATION, "completion": T.GENERATION, "embedding": T.EMBEDDING, "rerank": T.RETRIEVER}


def kind_in(mapping: dict[str, ObservationType]) -> Callable[[Any], ObservationType | None]:
    def convert(value: Any) -> ObservationType | None:
        return mapping.get(value.lower()) if isinstance(value, str) else None

    return convert


def to_observation_type(value: Any) -> ObservationType | None:
    if not isinstance(value, str):
        return None
    try:
        return ObservationType(value.lower())
    except ValueError:
        return OPERATION_TYPES.get(value.lower())


def to_level(value: Any) -> Level | None:
    value = to_text(value)
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


R = FieldRule
OBSERVATION_RULES: tuple[FieldRule, ...] = (
    R("type", ("theodolite.observation.type", "langfuse.observation.type"), to_observation_type),
    R("type", ("openinference.span.kind",), kind_in(OPENINFERENCE_KINDS)),
    R("type", ("langsmith.span.kind",), kind_in(LANGSMITH_KINDS)),
    R("type", ("traceloop.span.kind",), kind_in(TRACELOOP_KINDS)),
    R("type", ("gen_ai.operation.name",), kind_in(OPERATION_TYPES)),
    R("type", ("llm.request.type",), kind_in(LLM_REQUEST_TYPES)),
    R("level", ("theodolite.observation.level", "langfuse.observation.level"), to_level),
    R("status_message", ("theodolite.observation.status_message", "langfuse.observation.status_message"), to_text),
    R("request_model", ("gen_ai.request.model", "llm.request.model_name", "langsmith.metadata.ls_model_name"), to_text),
    R(
        "response_model",
        ("langfuse.observation.model.name", "gen_ai.response.model", "llm.response.model_name", "llm.model_name"),
        to_text,
    ),  # fmt: skip
    R(
        "provider",
        (
            "theodolite.provider",
            "gen_ai.provider.name",
            "llm.provider",
            "llm.system",
            "langsmith.metadata.ls_provider",
            "gen_ai.system",
        ),
        to_provider,
    ),  # fmt: skip
    R("source", ("theodolite.generation.source",), to_text),
    R("usage_document", ("langfuse.observation.usage_details",), to_dict),
    R("input_tokens", ("gen_ai.usage.input_tokens", "llm.token_count.prompt", "gen_ai.usage.prompt_tokens"), to_int),
    R(
        "output_tokens",
        ("gen_ai.usage.output_tokens", "llm.token_count.completion", "gen_ai.usage.completion_tokens"),
        to_int,
    ),  # fmt: skip
    R(
        "total_tokens",
        ("gen_ai.usage.total_tokens", "llm.token_count.total", "llm.usage.total_tokens", "gen_ai.client.token.usage"),
        to_int,
    ),  # fmt: skip
    R(
        "cache_read_tokens",
        (
            "gen_ai.usage.cache_read.input_tokens",
            "llm.token_count.prompt_details.cache_read",
            "gen_ai.usage.cache_read_input_tokens",
        ),
        to_int,
    ),  # fmt: skip
    R(
        "cache_write_tokens",
        (
            "gen_ai.usage.cache_creation.input_tokens",
            "gen_ai.usage.cache_write.input_tokens",
            "llm.token_count.prompt_details.cache_write",
            "gen_ai.usage.cache_creation_input_tokens",
        ),
        to_int,
    ),  # fmt: skip
    R(
        "reasoning_tokens",
        (
            "gen_ai.usage.reasoning.output_tokens",
            "llm.token_count.completion_details.reasoning",
            "gen_ai.usage.reasoning_tokens",
        ),
        to_int,
    ),  # fmt: skip
    # LangSmith's OTel mode: the token details as a Python repr, "{'cache_read': 2}".
    R("input_token_details", ("gen_ai.usage.input_token_details",), to_dict),
    R("output_token_details", ("gen_ai.usage.output_token_details",), to_dict),
    R("ttft_s", ("gen_ai.server.time_to_first_token", "gen_ai.response.time_to_first_chunk"), to_float),
    R(
        "completion_start_time",
        (
            "theodolite.observation.completion_start_time",
            "langfuse.observation.completion_start_time",
        ),
        to_datetime,
    ),
    # `llm.input_messages` and `gen_ai.prompt.*` are the indexed attributes folded by `fold_indexed`.
    # Our SDK always sends JSON text: numbers and booleans are read as such, not left as text.
    R("input", ("theodolite.observation.input",), from_json_text),
    R("output", ("theodolite.observation.output",), from_json_text),
    R(
        "input",
        (
            "langfuse.trace.input",  # on the root span only (vendor_conventions.ROOT_ONLY_KEYS)
            "langfuse.observation.input",
            "gen_ai.input.messages",
            "gen_ai.tool.call.arguments",  # a tool span's input: the arguments the model chose
            "llm.input_messages",
            "traceloop.entity.input",
            "gen_ai.prompt.*",
            "gen_ai.prompt",
            "input.value",
        ),
        to_json,
    ),  # fmt: skip
    R(
        "output",
        (
            "langfuse.trace.output",
            "langfuse.observation.output",
            "gen_ai.output.messages",
            "gen_ai.tool.call.result",
            "gen_ai.retrieval.documents",  # a retriever's output: the documents it found
            "llm.output_messages",
            "retrieval.documents",
            "traceloop.entity.output",
            "gen_ai.completion.*",
            "gen_ai.completion",
            "output.value",
        ),
        to_json,
    ),  # fmt: skip
    R("name", ("traceloop.entity.name",), to_text),
    R("system_instructions", ("gen_ai.system_instructions",), to_json),
    R("version", ("theodolite.version", "langfuse.version"), to_text),
    R("cost_document", ("theodolite.observation.cost_details", "langfuse.observation.cost_details"), to_dict),
    R("reported_total_cost", ("gen_ai.usage.cost", "llm.cost.total"), to_float),
    R("reported_input_cost", ("llm.cost.prompt",), to_float),
    R("reported_output_cost", ("llm.cost.completion",), to_float),
    R(
        "model_parameters_document",
        (
            "theodolite.observation.model_parameters",
            "langfuse.observation.model.parameters",
            "llm.invocation_parameters",
        ),
        to_dict,
    ),
)

# Lists flattened into indexed attributes (OpenInference, legacy Traceloop): prefix -> the one
# key the folded list is put under before the rules run.
INDEXED_LISTS: dict[str, str] = {
    "llm.input_messages.": "llm.input_messages",
    "llm.output_messages.": "llm.output_messages",
    "gen_ai.prompt.": "gen_ai.prompt.*",
    "gen_ai.completion.": "gen_ai.completion.*",
    "retrieval.documents.": "retrieval.documents",  # OpenInference: .N.document.content/id/score/metadata
}

TRACE_RULES: tuple[FieldRule, ...] = (
    R(
        "trace_name",
        ("theodolite.trace.name", "langfuse.trace.name", "langsmith.trace.name", "traceloop.workflow.name"),
        to_text,
    ),  # fmt: skip
    R(
        "user_id",
        (
            "user.id",
            "langfuse.user.id",
            "enduser.id",
            "traceloop.association.properties.user_id",
            "langsmith.metadata.user_id",
        ),
        to_text,
    ),  # fmt: skip
    R(
        "session_id",
        (
            "session.id",
            "langfuse.session.id",
            "gen_ai.conversation.id",
            "traceloop.association.properties.session_id",
            "langsmith.metadata.session_id",
            "langsmith.metadata.thread_id",
            "langsmith.metadata.conversation_id",
        ),
        to_text,
    ),  # fmt: skip
    R("tags", ("theodolite.trace.tags", "langfuse.trace.tags", "tag.tags", "langsmith.span.tags"), to_tags),
    R("release", ("theodolite.release", "langfuse.release", "service.version"), to_text),
    R(
        "environment",
        ("theodolite.environment", "langfuse.environment", "deployment.environment.name", "deployment.environment"),
        to_text,
    ),  # fmt: skip
)

# Attributes that become trace metadata under a readable key (dashboards written for Langfuse group
# traces by `metadata->>'agent'`). Unlike the rules above these are copied, not consumed.
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
    "langsmith.metadata.ls_temperature": "temperature",
    "langsmith.metadata.ls_max_tokens": "max_tokens",
}

# Prefixes whose suffix is a metadata key: one attribute per key (values JSON-decoded: Langfuse
# v5 encodes them, v3 does not).
OBSERVATION_METADATA_PREFIXES = ("theodolite.metadata.", "langfuse.observation.metadata.")
TRACE_METADATA_PREFIXES = (
    "theodolite.trace.metadata.",
    "langfuse.trace.metadata.",
    "traceloop.association.properties.",
)
# LangSmith puts the user's metadata and its own run facts under one prefix; only the user's keys
# are trace metadata (vendor_conventions.take_langsmith_metadata), the rest stays on the span.
LANGSMITH_METADATA_PREFIX = "langsmith.metadata."
# One attribute holding a whole metadata document (OpenInference's `metadata`, a JSON string).
TRACE_METADATA_DOCUMENTS = ("metadata",)
# Markers that say nothing once read.
IGNORED_KEYS = ("langfuse.internal.is_app_root", "input.mime_type", "output.mime_type")


RuleIndex = dict[str, tuple[int, str, Callable[[Any], Any]]]
_indexes: dict[int, RuleIndex] = {}


def _index(rules: tuple[FieldRule, ...]) -> RuleIndex:
    """key -> (precedence, field, converter): a span has ~20 attributes and the tables ~100 keys,
    so the span's keys are looked up in the table, not the reverse."""
    index = _indexes.get(id(rules))
    if index is None:
        ranked = [(key, rule) for rule in rules for key in rule.keys]
        index = _indexes[id(rules)] = {
            key: (rank, rule.field, rule.convert) for rank, (key, rule) in reversed(list(enumerate(ranked)))
        }
    return index


def apply_rules(rules: tuple[FieldRule, ...], attributes: dict[str, Any], *, consume: bool = True) -> dict[str, Any]:
    """Pick canonical fields out of `attributes`. When `consume`, the winning key is removed, and
    so is every other key that says the same; keys that say something else stay."""
    found: dict[str, Any] = {}
    index = _index(rules)
    hits = sorted((index[key][0], key) for key in attributes if key in index)
    converted = [(index[key][1], key, index[key][2](attributes[key])) for _, key in hits]
    for field, _, value in converted:
        if field not in found and value is not None and value != "" and value != []:
            found[field] = value
    if consume:
        for field, key, value in converted:
            if key in attributes and field in found and value == found[field]:
                del attributes[key]
    return found


def take_prefixed(attributes: dict[str, Any], prefixes: tuple[str, ...]) -> dict[str, Any]:
    """Remove `prefix.key` attributes and return them as {key: value} (JSON text parsed)."""
    picked: dict[str, Any] = {}
    for key in [k for k in attributes if k.startswith(prefixes)]:
        for prefix in prefixes:
            if key.startswith(prefix):
                picked.setdefault(key[len(prefix) :], to_json(attributes.pop(key)))
                break
    return picked


def take_documents(attributes: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for key in keys:
        document = to_dict(attributes.get(key))
        if document is not None:
            del attributes[key]
            merged.update(document)
    return merged


def take_model_parameters(attributes: dict[str, Any], document: dict[str, Any] | None) -> dict[str, Any] | None:
    params = dict(document or {})
    for key, name in MODEL_PARAMETER_KEYS.items():
        if key in attributes:
            params[name] = attributes.pop(key)
    return params or None


_INDEXED_PREFIXES = tuple(INDEXED_LISTS)


def fold_indexed(attributes: dict[str, Any]) -> None:
    """Fold each indexed list into one attribute, so that the rules can rank it like any other."""
    if not any(key.startswith(_INDEXED_PREFIXES) for key in attributes):
        return
    for prefix, key in INDEXED_LISTS.items():
        folded = take_indexed(attributes, prefix)
        if folded is not None:
            attributes[key] = folded


def drop_ignored(attributes: dict[str, Any]) -> None:
    for key in IGNORED_KEYS:
        attributes.pop(key, None)


def copy_trace_metadata(attributes: dict[str, Any]) -> dict[str, Any]:
    return {name: attributes[key] for key, name in TRACE_METADATA_KEYS.items() if key in attributes}
