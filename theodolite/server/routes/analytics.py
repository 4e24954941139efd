"""The analytics API under /api/v1/analytics (docs/analytics-api.md): flat JSON rows with epoch-ms
times for Grafana (the Infinity datasource's backend parser, and the theodolite-datasource plugin).
Reads wait, bounded, for the totals derived after the commit (read your writes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Response

from theodolite.errors import BadRequestError
from theodolite.query.analytics_params import AGGREGATIONS, MEASURES, make_metric_query, parse_time, split_values
from theodolite.server.access import Project
from theodolite.server.routes.api import ERRORS, AggregatesDerived, Derived, State
from theodolite.storage.metadata.project_reads import project_name

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"], responses=ERRORS)
Rows = list[dict[str, Any]]
DEFAULT_RANGE = timedelta(hours=24)
VARIABLE_RANGE = timedelta(days=30)

Text = Annotated[str | None, Query(description="epoch milliseconds or ISO 8601")]
Values = Annotated[list[str], Query(description="repeat or comma-separate; any matches; empty or $__all: no filter")]
Limit = Annotated[int, Query(ge=1, le=1000, description="most rows")]


def filters_of(
    type: Values = [],  # noqa: A002, B006 - the dimension is called type
    name: Values = [],  # noqa: B006
    model: Values = [],  # noqa: B006
    provider: Values = [],  # noqa: B006
    level: Values = [],  # noqa: B006
    source: Values = [],  # noqa: B006
    environment: Values = [],  # noqa: B006
    version: Values = [],  # noqa: B006
    release: Values = [],  # noqa: B006
    user: Values = [],  # noqa: B006
    session: Values = [],  # noqa: B006
    tag: Values = [],  # noqa: B006
) -> dict[str, tuple[str, ...]]:
    given = {"type": type, "name": name, "model": model, "provider": provider, "level": level, "source": source,
             "environment": environment, "version": version, "release": release, "user": user, "session": session,
             "tag": tag}  # fmt: skip
    return {key: tuple(found) for key, values in given.items() if (found := split_values(values))}


Filters = Annotated[dict[str, tuple[str, ...]], Depends(filters_of)]


def rows_response(rows: list[Any]) -> Response:
    """Thousands of flat rows: orjson straight from the dicts; pydantic's validation of each row
    cost more than the query (the schema still comes from the route's `response_model`)."""
    return Response(orjson.dumps(rows, default=float), media_type="application/json")


def time_range(start: str | None, end: str | None, default: timedelta = DEFAULT_RANGE) -> tuple[datetime, datetime]:
    until = parse_time(end, datetime.now(UTC))
    since = parse_time(start, until - default)
    if since > until:
        raise BadRequestError(f"from ({since.isoformat()}) is after to ({until.isoformat()})")
    return since, until


@router.get(
    "/metrics",
    response_model=Rows,
    summary="Any aggregate over time: a measure, an aggregation, up to two groups, filters",
)
def metrics(
    state: State,
    project: Project,
    _pending: AggregatesDerived,
    measure: Annotated[str, Query(description=", ".join(MEASURES))],
    filters: Filters,
    aggregation: Annotated[str | None, Query(description=", ".join(AGGREGATIONS))] = None,
    scope: Annotated[str | None, Query(description="observations (default) or traces")] = None,
    group_by: Annotated[list[str], Query(description="up to two dimensions; repeat or comma-separate")] = [],  # noqa: B006
    interval: Annotated[str, Query(description="auto, total, a duration (5m, 1h, 1d) or milliseconds")] = "auto",
    fill: Annotated[str, Query(description="none or zero")] = "none",
    start: Annotated[str | None, Query(alias="from", description="epoch ms or ISO 8601; default 24 h ago")] = None,
    end: Annotated[str | None, Query(alias="to", description="epoch ms or ISO 8601; default now")] = None,
) -> Response:
    since, until = time_range(start, end)
    query = make_metric_query(
        project, measure=measure, aggregation=aggregation, scope=scope, group_by=group_by, start=since, end=until,
        interval=interval, filters=filters, fill=fill,
    )  # fmt: skip
    return rows_response(state.queries.metric_rows(query))


@router.get("/traces", response_model=Rows, summary="Traces, newest first, with their totals")
def traces(
    state: State, project: Project, _pending: Derived, filters: Filters, limit: Limit = 100,
    start: Annotated[str | None, Query(alias="from")] = None, end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:  # fmt: skip
    return rows_response(state.queries.trace_rows(project, *time_range(start, end), filters, limit))


@router.get("/observations", response_model=Rows, summary="Observations, newest first")
def observations(
    state: State, project: Project, filters: Filters, limit: Limit = 100,
    start: Annotated[str | None, Query(alias="from")] = None, end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:  # fmt: skip
    return rows_response(state.queries.observation_rows(project, *time_range(start, end), filters, limit))


@router.get("/scores", response_model=Rows, summary="Scores, newest first")
def scores(
    state: State, project: Project, filters: Filters, limit: Limit = 100,
    start: Annotated[str | None, Query(alias="from")] = None, end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:  # fmt: skip
    return rows_response(state.queries.score_rows(project, *time_range(start, end), filters, limit))


@router.get(
    "/costs", response_model=Rows, summary="Cost, tokens and calls per day and model (or another bucket and group)"
)
def costs(
    state: State, project: Project, _pending: Derived, filters: Filters,
    group_by: Annotated[list[str], Query()] = ["model"],  # noqa: B006
    interval: str = "1d",
    start: Annotated[str | None, Query(alias="from")] = None, end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:  # fmt: skip
    since, until = time_range(start, end)
    query = make_metric_query(
        project, measure="cost", aggregation="sum", scope="observations", group_by=group_by, start=since, end=until,
        interval=interval, filters=filters, fill="none",
    )  # fmt: skip
    return rows_response(state.queries.cost_rows(query))


@router.get(
    "/variables/{kind}", response_model=list[dict[str, str]], summary="Values of a template variable, most used first"
)
def variables(
    state: State, project: Project, kind: str, limit: Limit = 1000,
    start: Annotated[str | None, Query(alias="from")] = None, end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:  # fmt: skip
    return rows_response(state.queries.variable_values(project, kind, *time_range(start, end, VARIABLE_RANGE), limit))


@router.get("/project", summary="The project the key reaches (the plugin's Save & test)")
def project_info(state: State, project: Project) -> dict[str, Any]:
    return {"project_id": project, "name": project_name(state.database, project)}
