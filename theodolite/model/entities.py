"""Trace, Observation, Score and their value objects.

Times are timezone-aware UTC datetimes. Token counts follow the OpenTelemetry GenAI rule: cache
read and cache write tokens are *part of* input tokens, reasoning tokens are *part of* output tokens,
so `total = input + output` and the detail counts are never added on top.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


class ObservationType(enum.StrEnum):
    SPAN = "span"
    GENERATION = "generation"
    EVENT = "event"
    AGENT = "agent"
    TOOL = "tool"
    CHAIN = "chain"
    RETRIEVER = "retriever"
    EVALUATOR = "evaluator"
    EMBEDDING = "embedding"
    GUARDRAIL = "guardrail"


class Level(enum.StrEnum):
    DEBUG = "DEBUG"
    DEFAULT = "DEFAULT"
    WARNING = "WARNING"
    ERROR = "ERROR"


class CostStatus(enum.StrEnum):
    """Whether a generation's cost is known. Unpriced is never summed as $0."""

    PRICED = "priced"
    PARTIAL = "partial"  # some token types had no price
    UNPRICED = "unpriced"  # unknown model
    REPORTED = "reported"  # no price of our own; the cost the client sent is the one used
    NOT_BILLED = "not_billed"  # not a provider call (a cache hit, a fallback): costs $0 by definition
    NOT_APPLICABLE = "n/a"  # not a generation, or no usage at all


class Source(enum.StrEnum):
    """Where a generation's answer came from (a generation service with a response cache and fallbacks).

    Free-form values are allowed on the wire (`fallback_<kind>`); these are the well-known ones.
    """

    PROVIDER = "provider"
    CACHE = "cache"
    FALLBACK_TEMPLATE = "fallback_template"
    FALLBACK_HARDCODED = "fallback_hardcoded"


def is_provider_call(source: str | None) -> bool:
    """Whether a generation's answer came from the provider, and so was billed by it.

    A response-cache hit (`cache`) or a fallback (`fallback_<kind>`) made no provider call: it costs
    $0 by definition; what the provider would have charged is kept apart as a saved amount.
    No source at all is a provider call (that is what every instrumentation reports).
    """
    return source is None or not (source == Source.CACHE or source.startswith("fallback"))


class ScoreDataType(enum.StrEnum):
    NUMERIC = "NUMERIC"
    CATEGORICAL = "CATEGORICAL"
    BOOLEAN = "BOOLEAN"


GENERATION_LIKE = frozenset({ObservationType.GENERATION, ObservationType.EMBEDDING})


@dataclass(slots=True)
class Usage:
    """Token counts of one call. `None` means "not reported", which differs from 0."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cache_read_tokens: int | None = None  # part of input_tokens
    cache_write_tokens: int | None = None  # part of input_tokens
    reasoning_tokens: int | None = None  # part of output_tokens

    def is_empty(self) -> bool:
        return self.input_tokens is None and self.output_tokens is None and self.total_tokens is None

    def completed(self) -> Usage:
        """Apply the OpenTelemetry rule (cache tokens are part of input, reasoning part of output)
        and fill the total from its parts (or the reverse) when only some were reported.

        Some clients send Anthropic's raw counts, where `input_tokens` excludes the cache: when the
        cache parts exceed the input they cannot be part of it, so they are added. Counting them
        once is what https://github.com/langchain-ai/langsmith-sdk/issues/2150 got wrong. The same
        holds for reasoning and output.
        """
        cached = (self.cache_read_tokens or 0) + (self.cache_write_tokens or 0)
        input_tokens = self.input_tokens
        if cached and (input_tokens is None or input_tokens < cached):
            input_tokens = (input_tokens or 0) + cached
        output_tokens = self.output_tokens
        if self.reasoning_tokens and (output_tokens is None or output_tokens < self.reasoning_tokens):
            output_tokens = (output_tokens or 0) + self.reasoning_tokens
        total = self.total_tokens
        if input_tokens is not None or output_tokens is not None:
            parts = (input_tokens or 0) + (output_tokens or 0)
            if total is None or total < parts:
                total = parts
        return Usage(
            input_tokens,
            output_tokens,
            total,
            self.cache_read_tokens,
            self.cache_write_tokens,
            self.reasoning_tokens,
        )


@dataclass(slots=True)
class Cost:
    """Cost in USD. `reported_*` is what the client sent; `calculated_*` is Theodolite's price.

    `saved` is set on calls that are not provider calls (status NOT_BILLED: a cache hit, a
    fallback): what the provider would have charged, while `calculated_*` are a known $0.
    """

    reported_input: Decimal | None = None
    reported_output: Decimal | None = None
    reported_total: Decimal | None = None
    calculated_input: Decimal | None = None
    calculated_output: Decimal | None = None
    calculated_total: Decimal | None = None
    status: CostStatus = CostStatus.NOT_APPLICABLE
    saved: Decimal | None = None


@dataclass(slots=True)
class Observation:
    """One span of work inside a trace: an LLM call, a tool call, an agent step..."""

    id: str
    trace_id: str
    start_time: datetime
    type: ObservationType = ObservationType.SPAN
    name: str | None = None
    parent_observation_id: str | None = None
    end_time: datetime | None = None
    completion_start_time: datetime | None = None  # first token received: time to first token
    level: Level = Level.DEFAULT
    status_message: str | None = None
    model: str | None = None  # the response model when known, else the request model
    request_model: str | None = None
    provider: str | None = None
    model_parameters: dict[str, Any] | None = None
    source: str | None = None  # Source values; None for non-generations
    usage: Usage = field(default_factory=Usage)
    cost: Cost = field(default_factory=Cost)
    input: Any = None  # messages kept structured (lists of dicts) where the wire had them
    output: Any = None
    metadata: dict[str, Any] | None = None
    attributes: dict[str, Any] | None = None  # wire attributes no mapping consumed, kept verbatim
    version: str | None = None
    environment: str | None = None


@dataclass(slots=True)
class Trace:
    """The trace-level facts. Several requests may each carry a part; storage merges them."""

    id: str
    timestamp: datetime  # earliest start seen
    name: str | None = None  # the root observation's name
    user_id: str | None = None
    session_id: str | None = None
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    release: str | None = None
    version: str | None = None
    environment: str | None = None
    is_root_seen: bool = False  # this part came from the root span, so its name wins
    root_observation_id: str | None = None


@dataclass(slots=True)
class Score:
    id: str
    trace_id: str | None
    name: str
    timestamp: datetime
    value: float | None = None
    string_value: str | None = None
    data_type: ScoreDataType = ScoreDataType.NUMERIC
    observation_id: str | None = None
    session_id: str | None = None
    comment: str | None = None
    source: str = "API"
    metadata: dict[str, Any] | None = None
    # The score config the score was checked against (its id as text: Langfuse's ids are strings):
    # the one the sender named, or the active config of the score's name. None: no config.
    config_id: str | None = None


@dataclass(slots=True)
class Rejection:
    """One item of a request that could not be stored, and why (OTLP partial success)."""

    item_id: str | None
    reason: str


@dataclass(slots=True)
class Batch:
    """What one request decoded to: the unit the ingestion pipeline commits for a project."""

    traces: list[Trace] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    # Ids of observations this batch only updates (Langfuse `*-update`, LangSmith patches): their
    # start time and type are placeholders that fill gaps only (`merging.merge_observation`).
    updates: set[str] = field(default_factory=set)

    def size(self) -> int:
        return len(self.observations) + len(self.scores) + len(self.traces)


def merge_trace(old: Trace, new: Trace) -> Trace:
    """Combine two parts of one trace, whatever order they arrived in.

    Rules: the earliest timestamp wins; the root span's name wins over any other span's (else the
    first name seen stays); scalar fields take the newest non-empty value (an update overrides);
    tags are a union in first-seen order; metadata keys merge, newer values winning.
    """
    if new.is_root_seen and new.name:
        name = new.name
    elif old.is_root_seen and old.name:
        name = old.name
    else:
        name = old.name or new.name
    tags = list(old.tags)
    tags.extend(tag for tag in new.tags if tag not in tags)
    metadata = dict(old.metadata or {})
    metadata.update(new.metadata or {})
    return Trace(
        id=old.id,
        timestamp=min(old.timestamp, new.timestamp),
        name=name,
        user_id=new.user_id or old.user_id,
        session_id=new.session_id or old.session_id,
        tags=tags,
        metadata=metadata or None,
        release=new.release or old.release,
        version=new.version or old.version,
        environment=new.environment or old.environment,
        is_root_seen=old.is_root_seen or new.is_root_seen,
        root_observation_id=new.root_observation_id or old.root_observation_id,
    )
