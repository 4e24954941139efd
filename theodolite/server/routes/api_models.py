"""Response shapes of /api/v1, declared once so the OpenAPI schema documents them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    status: int
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class Totals(BaseModel):
    observation_count: int
    input_tokens: int
    output_tokens: int
    total_tokens: int
    total_cost: float | None = Field(
        description="USD over the observations with a known cost; null when no provider call has one and some are "
        "unpriced (never 0 for unpriced calls). Cache hits and fallbacks cost a known $0: a trace of cache hits only "
        "has 0"
    )
    saved_cost: float | None = Field(
        description="USD the provider would have charged for the cache hits and fallbacks (not in total_cost): 0 "
        "when there were none, null when none of them could be priced"
    )
    unpriced_count: int = Field(description="generations whose model has no price: not counted as $0")
    not_billed_count: int = Field(description="generations answered by a cache or a fallback: no provider call, $0")
    error_count: int


class TraceSummary(Totals):
    id: str
    timestamp: datetime
    name: str | None
    user_id: str | None
    session_id: str | None
    release: str | None
    version: str | None
    environment: str | None
    tags: list[str]
    metadata: dict[str, Any] | None
    latency_s: float | None
    scores: dict[str, float] = Field(
        default_factory=dict, description="per score name, the mean of its numeric and boolean scores on the trace"
    )


class Pending(BaseModel):
    """A list read from what SQLite derives after the commit (`routes/api.derived_caught_up`)."""

    pending_spans: int = Field(
        0,
        description="spans committed before this request that the search index and the totals did not cover yet "
        "(SQLite derives them after the commit; the request waited up to derive_wait_s for them). 0 normally",
    )


class TracePage(Pending):
    data: list[TraceSummary]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null on the last page. It carries a snapshot of the "
        "first page: a trace created or moved earlier (a late span) since then is left out of later pages, "
        "never returned twice"
    )


class TraceFilterOptions(BaseModel):
    names: list[str] = Field(description="trace names, alphabetical")
    models: list[str] = Field(description="models some observation used")
    environments: list[str]
    releases: list[str]
    truncated: list[str] = Field(description="the fields that had more values than `limit`")


class ObservationSummary(BaseModel):
    id: str
    trace_id: str
    parent_observation_id: str | None
    type: str
    name: str | None
    start_time: datetime
    end_time: datetime | None
    completion_start_time: datetime | None
    latency_s: float | None
    time_to_first_token_s: float | None
    level: str
    status_message: str | None
    model: str | None
    request_model: str | None
    provider: str | None
    model_parameters: dict[str, Any] | None
    source: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None
    cache_read_tokens: int | None
    cache_write_tokens: int | None
    reasoning_tokens: int | None
    input_cost: float | None
    output_cost: float | None
    total_cost: float | None
    calculated_input_cost: float | None
    calculated_output_cost: float | None
    calculated_total_cost: float | None
    cost_status: str = Field(description="priced, partial, unpriced, reported, not_billed (a cache hit or a fallback: "
                             "$0) or n/a")  # fmt: skip
    saved_cost: float | None = Field(description="not_billed only: what the provider would have charged")
    metadata: dict[str, Any] | None
    version: str | None
    environment: str | None


class ObservationPage(BaseModel):
    data: list[ObservationSummary]
    next_cursor: str | None


class ObservationNode(ObservationSummary):
    input: Any = None
    output: Any = None
    attributes: dict[str, Any] | None = None
    children: list[ObservationNode]


class ScoreOut(BaseModel):
    id: str
    trace_id: str | None
    observation_id: str | None
    session_id: str | None
    name: str
    value: float | None
    string_value: str | None
    data_type: str
    source: str
    comment: str | None
    metadata: dict[str, Any] | None
    timestamp: datetime
    config_id: str | None = Field(None, description="the score config it was checked against (its id)")


class TraceDetail(TraceSummary):
    root_observation_id: str | None
    observations: list[ObservationNode] = Field(description="the tree: roots, each with its children")
    scores: list[ScoreOut]


class SessionSummary(Totals):
    session_id: str
    trace_count: int
    first_seen: datetime
    last_seen: datetime


class SessionPage(Pending):
    data: list[SessionSummary]
    next_cursor: str | None


class UserSummary(Totals):
    user_id: str
    trace_count: int
    first_seen: datetime
    last_seen: datetime


class UserPage(Pending):
    data: list[UserSummary]
    next_cursor: str | None


class Health(BaseModel):
    status: str
    version: str
    database: str
    queued_items: int
    reads_in_progress: int  # API reads running now (each within read_timeout_s)
