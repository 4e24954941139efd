"""Request and response shapes of /api/v1/annotation-queues, declared once so the OpenAPI schema documents them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from theodolite.errors import BadRequestError
from theodolite.query.filters import ObservationFilter, ScoreFilter, TraceFilter, parse_money

MAX_ITEMS_PER_REQUEST = 1000
MAX_FROM_TRACES = 10_000


class ScoreConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    data_type: str = Field("NUMERIC", description="NUMERIC, CATEGORICAL or BOOLEAN")
    min_value: float | None = None
    max_value: float | None = None
    categories: list[str] | None = Field(None, description="CATEGORICAL only: the labels, in scale order")
    description: str | None = None


ProjectConfigName = Annotated[str, Field(min_length=1, max_length=200)]


class QueueIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^/]+$", description="unique in the project; no '/'")
    description: str | None = None
    score_configs: list[ProjectConfigName | ScoreConfigIn] = Field(
        min_length=1,
        description="the scores a reviewer gives each item: the name of one of the project's score configs "
        "(GET /api/v1/score-configs; the queue follows it), or a config of the queue's own",
    )
    reviews_per_item: int = Field(1, ge=1, le=100, description="done reviews (by different reviewers) per item")
    kind: Literal["trace", "observation", "session"] | None = Field(
        None, description="the only kind of item the queue holds (from-traces adds it); null: any kind"
    )


class QueueOut(BaseModel):
    name: str
    description: str | None
    kind: str | None = Field(None, description="the only kind of item the queue holds; null: any")
    score_configs: list[dict[str, Any]] = Field(
        description="each config's rules, with config_id (the project config's id; null for the queue's own), "
        "archived and missing (a project config no longer there): the queue takes no reviews while one is either"
    )
    reviews_per_item: int
    created_at: datetime
    item_count: int
    done_count: int = Field(description="complete items: they have reviews_per_item done reviews")
    remaining: int


class QueueList(BaseModel):
    data: list[QueueOut]


class ItemIn(BaseModel):
    kind: Literal["trace", "observation", "session"]
    id: str = Field(min_length=1, max_length=200, description="the trace, observation or session id")
    trace_id: str | None = Field(None, description="an observation's trace (needed to show it in the web UI)")


class ItemsIn(BaseModel):
    items: list[ItemIn] = Field(min_length=1, description=f"at most {MAX_ITEMS_PER_REQUEST}")


class TraceFilterIn(BaseModel):
    """The trace list's filters (GET /api/v1/traces), as JSON."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: datetime | None = Field(None, alias="from")
    end: datetime | None = Field(None, alias="to")
    name: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    tags: list[str] = []
    model: str | None = None
    level: str | None = Field(None, pattern="^(?i)(debug|default|warning|error)$")
    release: str | None = None
    environment: str | None = None
    search: str | None = None
    cost_min: str | None = None
    cost_max: str | None = None
    latency_min: float | None = Field(None, ge=0)
    latency_max: float | None = Field(None, ge=0)
    score: list[str] = Field([], description="NAME<op>NUMBER, as the trace list's `score`")

    def to_filter(self) -> TraceFilter:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise BadRequestError(f"from ({self.start.isoformat()}) is after to ({self.end.isoformat()})")
        filters = TraceFilter(self.start, self.end, self.name, self.user_id, self.session_id, list(self.tags),
                              self.model, self.level, self.release, self.environment)  # fmt: skip
        filters.search = self.search
        filters.cost_min = parse_money(self.cost_min, "cost_min")
        filters.cost_max = parse_money(self.cost_max, "cost_max")
        filters.latency_min, filters.latency_max = self.latency_min, self.latency_max
        filters.scores = [ScoreFilter.parse(text) for text in self.score]
        return filters


class FromTracesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: TraceFilterIn = Field(default_factory=TraceFilterIn)
    kind: Literal["trace", "session"] | None = Field(
        None, description="add the matching traces, or their sessions; default: the queue's kind, else trace"
    )
    sample_rate: float = Field(
        1.0, gt=0, le=1, description="the share to add, decided by a hash of each id: re-running adds the same ones"
    )
    max_items: int = Field(1000, ge=1, le=MAX_FROM_TRACES, description="most items this request adds or finds held")


class ObservationFilterIn(BaseModel):
    """The observation list's filters (GET /api/v1/observations), as JSON."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: datetime | None = Field(None, alias="from", description="on start_time, inclusive")
    end: datetime | None = Field(None, alias="to", description="exclusive")
    type: str | None = Field(None, description="span, generation, event, tool, ... (as stored)")
    model: str | None = None
    name: str | None = None
    trace_id: str | None = None
    level: str | None = Field(None, pattern="^(?i)(debug|default|warning|error)$")

    def to_filter(self) -> ObservationFilter:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise BadRequestError(f"from ({self.start.isoformat()}) is after to ({self.end.isoformat()})")
        return ObservationFilter(self.start, self.end, self.type, self.model, self.name, self.trace_id, self.level)


class FromObservationsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: ObservationFilterIn = Field(default_factory=ObservationFilterIn)
    sample_rate: float = Field(
        1.0, gt=0, le=1, description="the share to add, decided by a hash of each observation id, as from-traces"
    )
    max_items: int = Field(1000, ge=1, le=MAX_FROM_TRACES, description="most items this request adds or finds held")


class AddedOut(BaseModel):
    added: int
    existing: int = Field(description="items the queue held already (adding is idempotent)")
    item_count: int
    scanned: int | None = Field(None, description="from-traces: traces read; from-observations: observations read")
    pending_spans: int | None = Field(
        None,
        description="from-traces: spans the filters could not see yet (SQLite derives after the commit; 0 normally)",
    )


class ItemOut(BaseModel):
    id: int
    kind: str
    object_id: str
    trace_id: str | None
    added_at: datetime
    done_count: int
    claim_expires_at: datetime | None = None


class ItemPage(BaseModel):
    data: list[ItemOut]
    next_cursor: str | None


class ClaimOut(BaseModel):
    reviewer: str
    item: ItemOut | None = Field(description="null: nothing is left for this reviewer")
    content: dict[str, Any] | None = Field(
        None, description="what to review: a trace's root input and output, an observation's, a session's turns"
    )
    left_for_reviewer: int = Field(description="items this reviewer could still review, this one included")


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: dict[str, float | bool | str] = Field(description="one value per score config of the queue")
    comment: str | None = None


class ReviewOut(BaseModel):
    reviewer: str
    item: ItemOut
    status: str
    left_for_reviewer: int


class ReleaseOut(BaseModel):
    released: bool


class ReviewerCounts(BaseModel):
    reviewer: str
    done: int
    skipped: int


class ProgressOut(BaseModel):
    items: int
    done: int = Field(description="complete items")
    remaining: int
    claimed: int = Field(description="items under an unexpired claim")
    reviewers: list[ReviewerCounts]
    me: dict[str, Any] | None = Field(None, description="the calling reviewer's done, skipped and left")


class PairOut(BaseModel):
    a: str
    b: str
    n: int = Field(description="objects both reviewers scored")
    kappa: float | None = Field(description="null when n is 0 or kappa is undefined (one label throughout)")


class SourceOut(BaseModel):
    source: str
    n: int = Field(description="(review, source score) pairs on the same objects")
    kappa: float | None


class AgreementOut(BaseModel):
    score: str
    weights: str | None
    reviewers: list[PairOut]
    sources: list[SourceOut] = Field(description="the reviewers against each other score source (not ANNOTATION)")
