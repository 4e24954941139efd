"""The query API under /api/v1 (JSON; an API key or a signed-in session; newest first, cursor pagination)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import TypeAdapter, ValidationError

from theodolite.errors import BadRequestError
from theodolite.query.filters import ObservationFilter, ScoreFilter, Sort, TraceFilter, parse_money
from theodolite.server.access import Project
from theodolite.server.routes.api_models import (
    ErrorResponse,
    ObservationPage,
    SessionPage,
    TraceDetail,
    TraceFilterOptions,
    TracePage,
    UserPage,
)
from theodolite.server.state import AppState

ERRORS = {code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 422)}


def check_time_range(request: Request) -> None:
    """`from` after `to` is a mistake, not an empty page: 400 on every list that takes both. The
    routes parse the values themselves (and answer 422 when they cannot)."""
    try:
        start, end = (_DATETIME.validate_python(request.query_params[k]) for k in ("from", "to"))
    except (KeyError, ValidationError):
        return
    as_utc = [moment if moment.tzinfo else moment.replace(tzinfo=UTC) for moment in (start, end)]
    if as_utc[0] > as_utc[1]:
        raise BadRequestError(f"from ({start.isoformat()}) is after to ({end.isoformat()})")


_DATETIME = TypeAdapter(datetime)
router = APIRouter(prefix="/api/v1", tags=["query"], responses=ERRORS, dependencies=[Depends(check_time_range)])
Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Start = Annotated[datetime | None, Query(alias="from", description="inclusive lower time bound, ISO-8601")]
End = Annotated[datetime | None, Query(alias="to", description="exclusive upper time bound, ISO-8601")]


def state_of(request: Request) -> AppState:
    return request.app.state.theodolite


State = Annotated[AppState, Depends(state_of)]


def derived_caught_up(request: Request) -> int:
    """Read your writes: SQLite derives the search index and the per-trace totals after the commit
    (`storage/writer.py`), so a read of them first waits, bounded, until they cover what was
    committed before it (the writer steps for it between commits). Returns the spans still left
    out: 0 normally. A store whose lists read nothing derived after the commit (ClickHouse) does not
    wait. Sync, so FastAPI runs it in its thread pool, off the event loop."""
    state = state_of(request)
    if not state.trace_store.lists_follow_commits:
        return 0
    return state.pipeline.wait_followed(state.settings.derive_wait_s)


def aggregates_caught_up(request: Request) -> int:
    """As `derived_caught_up`, for aggregates over time, which every store derives after the commit
    in part (SQLite all of them, ClickHouse its trace and score rollups)."""
    state = state_of(request)
    return state.pipeline.wait_followed(state.settings.derive_wait_s)


Derived = Annotated[int, Depends(derived_caught_up)]
AggregatesDerived = Annotated[int, Depends(aggregates_caught_up)]


@router.get("/traces", response_model=TracePage, summary="List traces, newest first or in another order")
def traces_list(
    state: State,
    project: Project,
    pending: Derived,
    start: Start = None,
    end: End = None,
    name: str | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    tags: Annotated[list[str], Query(description="repeat for several; all must be present")] = [],  # noqa: B006
    model: str | None = None,
    level: Annotated[str | None, Query(pattern="^(?i)(debug|default|warning|error)$")] = None,
    release: str | None = None,
    environment: str | None = None,
    sort: Annotated[
        str | None,
        Query(description="time (default), name, user, session, tags, latency, tokens, cost, level, or score:NAME"),
    ] = None,
    order: Annotated[str | None, Query(pattern="^(asc|desc)$", description="desc (default) or asc")] = None,
    cost_min: Annotated[str | None, Query(description="USD, inclusive; unpriced traces never match")] = None,
    cost_max: Annotated[str | None, Query(description="USD, inclusive")] = None,
    latency_min: Annotated[float | None, Query(ge=0, description="seconds, inclusive")] = None,
    latency_max: Annotated[float | None, Query(ge=0, description="seconds, inclusive")] = None,
    score: Annotated[
        list[str], Query(description="NAME<op>NUMBER, op one of >= <= > < = != (repeat; all must hold)")
    ] = [],  # noqa: B006
    limit: Limit = 50,
    cursor: Cursor = None,
    search: Annotated[
        str | None, Query(description="text in the inputs or outputs: words, the last one a prefix (docs/web-ui.md)")
    ] = None,
) -> dict:
    filters = TraceFilter(start, end, name, user_id, session_id, list(tags), model, level, release, environment)
    filters.search = search
    filters.sort = Sort.parse(sort, order)
    filters.cost_min, filters.cost_max = parse_money(cost_min, "cost_min"), parse_money(cost_max, "cost_max")
    filters.latency_min, filters.latency_max = latency_min, latency_max
    filters.scores = [ScoreFilter.parse(text) for text in score]
    items, next_cursor = state.queries.list_traces(project, filters, limit=limit, cursor=cursor)
    return {"data": items, "next_cursor": next_cursor, "pending_spans": pending}


@router.get(
    "/trace-filter-options",
    response_model=TraceFilterOptions,
    summary="Values the trace list's filters can take in a time range (names, models, environments, releases)",
)
def trace_filter_options(
    state: State,
    project: Project,
    start: Start = None,
    end: End = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="most values per field")] = 200,
) -> dict:
    return state.queries.list_trace_filter_options(project, start=start, end=end, limit=limit)


@router.get("/traces/{trace_id}", response_model=TraceDetail, summary="One trace with its observation tree")
def traces_get(state: State, project: Project, trace_id: str) -> dict:
    return state.queries.get_trace(project, trace_id)


@router.get("/observations", response_model=ObservationPage, summary="List observations, newest first")
def observations_list(
    state: State,
    project: Project,
    start: Start = None,
    end: End = None,
    type: str | None = None,  # noqa: A002 - the API's field is called type
    model: str | None = None,
    name: str | None = None,
    trace_id: str | None = None,
    level: Annotated[str | None, Query(pattern="^(?i)(debug|default|warning|error)$")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict:
    filters = ObservationFilter(start, end, type, model, name, trace_id, level)
    items, next_cursor = state.queries.list_observations(project, filters, limit=limit, cursor=cursor)
    return {"data": items, "next_cursor": next_cursor}


@router.get(
    "/sessions",
    response_model=SessionPage,
    summary="Sessions by latest activity, with all-time trace counts, tokens and cost; from/to: those active then",
)
def sessions_list(
    state: State, project: Project, pending: Derived, start: Start = None, end: End = None, limit: Limit = 50,
    cursor: Cursor = None,
) -> dict:  # fmt: skip
    items, next_cursor = state.queries.list_sessions(project, start=start, end=end, limit=limit, cursor=cursor)
    return {"data": items, "next_cursor": next_cursor, "pending_spans": pending}


@router.get(
    "/users",
    response_model=UserPage,
    summary="Users by latest activity, with all-time trace counts, tokens and cost; from/to: those active then",
)
def users_list(
    state: State, project: Project, pending: Derived, start: Start = None, end: End = None, limit: Limit = 50,
    cursor: Cursor = None,
) -> dict:  # fmt: skip
    items, next_cursor = state.queries.list_users(project, start=start, end=end, limit=limit, cursor=cursor)
    return {"data": items, "next_cursor": next_cursor, "pending_spans": pending}
