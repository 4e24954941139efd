"""GET /api/v1/live: the live AI dashboard's figures for one project (polled by the web UI).

Polling, not server-sent events: each answer is the whole window recomputed by one indexed read
(tens of milliseconds), so a push channel would save nothing per update while holding a connection
and a thread per open tab; a poll also goes through the same authentication, project header and
401 handling as every other request, and through proxies that buffer streams.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from theodolite.query.live_window import WINDOWS, live_window
from theodolite.server.access import Project
from theodolite.server.routes.api import ERRORS, State

router = APIRouter(prefix="/api/v1", tags=["query"], responses=ERRORS)


class LiveRates(BaseModel):
    calls: int = Field(description="generations and embeddings that started in the bucket / window")
    completions_per_min: float
    input_tokens: int
    output_tokens: int
    tokens_per_s: float = Field(description="input + output tokens per second")
    cost: float | None = Field(
        description="USD of the calls with a known cost; null when no provider call has one and some are unpriced "
        "(never 0 for unpriced calls). Cache hits and fallbacks are a known $0"
    )
    cost_per_hour: float | None
    saved: float | None = Field(description="what the cache hits and fallbacks would have cost; null: unknown")
    unpriced_calls: int = Field(description="calls to a model without a price: not in cost")
    not_billed_calls: int = Field(description="cache hits and fallbacks: no provider call, $0")
    errors: int
    error_rate: float | None = Field(description="errors / calls; null without calls")
    active_requests: float = Field(
        description="average calls in flight: the durations of the calls that started here, summed, divided by "
        "the length (Little's law)"
    )
    unfinished_calls: int = Field(description="calls stored without an end time: not in latencies")


class LiveTotals(LiveRates):
    p95_latency_s: float | None = Field(description="estimated from a histogram (16 classes a decade): within 15.5%")


class LiveModel(LiveRates):
    model: str


class LiveBuckets(BaseModel):
    """One array per figure, index-aligned with `t` (uPlot's data layout)."""

    t: list[int] = Field(description="bucket starts, seconds since the epoch (UTC), every step_s")
    calls: list[int]
    completions_per_min: list[float]
    input_tokens: list[int]
    output_tokens: list[int]
    tokens_per_s: list[float]
    cost: list[float | None]
    cost_per_hour: list[float | None]
    saved: list[float | None]
    unpriced_calls: list[int]
    not_billed_calls: list[int]
    errors: list[int]
    error_rate: list[float | None]
    p95_latency_s: list[float | None]
    active_requests: list[float]
    unfinished_calls: list[int]


class LiveDashboard(BaseModel):
    window: str
    step_s: int
    start: datetime = Field(alias="from", description="the first bucket's start")
    end: datetime = Field(alias="to", description="the last bucket's end (it is the current one: still filling)")
    now: datetime = Field(description="when this was read; the totals' rates are over from..now")
    totals: LiveTotals
    buckets: LiveBuckets
    models: list[LiveModel] = Field(description="the model mix over the window, busiest first")
    model_calls: dict[str, list[int]] = Field(description="calls per bucket of the busiest models, the rest '(other)'")


Window = Annotated[str, Query(pattern="^(" + "|".join(WINDOWS) + ")$", description="15m, 1h, 6h or 24h")]
End = Annotated[
    datetime | None, Query(alias="to", description="the window's end (default: now); ISO-8601, for a past view")
]


@router.get(
    "/live",
    response_model=LiveDashboard,
    response_model_by_alias=True,
    summary="The live dashboard: calls, tokens, cost, latency, errors and model mix in time buckets",
)
def live(state: State, project: Project, window: Window = "1h", end: End = None) -> dict:
    """Without `to`, the buckets kept between polls are brought up to date (the calls stored since the
    previous poll); with `to`, a past view is read straight from the observations."""
    if end is None:
        return state.queries.live(project, live_window(window))
    return state.queries.live(project, live_window(window, end if end.tzinfo else end.replace(tzinfo=UTC)), fresh=True)
