"""The web UI's trace page under /api/v1/traces/{trace_id}/...: the skeleton (every observation without
inputs and outputs, as columns), one observation's details, and search inside the trace.

Same access as the other trace routes: a key or a signed-in viewer of the project; another
project's trace is a 404. The skeleton is serialised with orjson straight from its lists: pydantic
validation of 14 lists of 10,000 values would cost more than the query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from theodolite.server.access import Project
from theodolite.server.routes.api import ERRORS, State
from theodolite.server.routes.api_models import ObservationSummary, ScoreOut, TraceSummary

router = APIRouter(prefix="/api/v1", tags=["query"], responses=ERRORS)


class SkeletonTrace(TraceSummary):
    root_observation_id: str | None
    score_count: int


class SkeletonColumns(BaseModel):
    """One list per field, all of the same length; item i of each list describes observation i."""

    id: list[str] = Field(description="observation ids as stored (the hex span id for OTLP)")
    parent: list[int] = Field(description="index of the parent in these lists; -1 for a root, or a parent not listed")
    type: list[str]
    name: list[str | None]
    start_ms: list[float] = Field(description="milliseconds from trace_start")
    duration_ms: list[float | None] = Field(description="null while the observation has not ended")
    level: list[str]
    model: list[str | None]
    input_tokens: list[int | None]
    output_tokens: list[int | None]
    tokens: list[int | None]
    cost: list[float | None] = Field(description="USD (as priced by Theodolite, else as reported); null: unknown")
    cost_status: list[str] = Field(description="priced, partial, unpriced, reported, not_billed ($0: a cache hit or a "
                                   "fallback) or n/a: an unpriced call is never shown as $0")  # fmt: skip
    error: list[bool] = Field(description="level ERROR")


class TraceSkeleton(BaseModel):
    trace: SkeletonTrace
    total: int = Field(description="observations the trace has")
    truncated: bool = Field(description="true when the trace has more than max_observations: these are the first")
    max_observations: int
    trace_start: datetime
    observations: SkeletonColumns = Field(description="in start order")


class ObservationDetail(ObservationSummary):
    input: Any = None
    output: Any = None
    attributes: dict[str, Any] | None = None
    scores: list[ScoreOut]


class TraceSearchResult(BaseModel):
    ids: list[str] = Field(description="observations whose name, input or output contains q, in start order")
    scanned: int = Field(description="observations searched (at most the trace page's limit)")


def _default(value: Any) -> Any:
    return float(value)  # Decimal totals; orjson handles datetimes itself


@router.get(
    "/traces/{trace_id}/skeleton",
    response_model=TraceSkeleton,
    summary="A trace's observations without inputs and outputs, as columns (the web UI's trace page)",
)
def trace_skeleton(state: State, project: Project, trace_id: str) -> Response:
    limit = state.settings.trace_page_max_observations
    skeleton = state.queries.trace_skeleton(project, trace_id, max_observations=limit)
    body = orjson.dumps(skeleton, default=_default, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC)
    return Response(body, media_type="application/json")


@router.get(
    "/traces/{trace_id}/observations/{observation_id}",
    response_model=ObservationDetail,
    summary="One observation of a trace with its input, output, attributes and scores",
)
def observation_detail(state: State, project: Project, trace_id: str, observation_id: str) -> dict:
    return state.queries.observation_detail(project, trace_id, observation_id)


@router.get(
    "/traces/{trace_id}/search",
    response_model=TraceSearchResult,
    summary="Observations of one trace whose name, input or output contains a text (case-insensitive)",
)
def trace_search(
    state: State,
    project: Project,
    trace_id: str,
    q: Annotated[str, Query(min_length=1, max_length=500, description="the text to find")],
) -> dict:
    limit = state.settings.trace_page_max_observations
    return state.queries.search_trace(project, trace_id, q, max_observations=limit)
