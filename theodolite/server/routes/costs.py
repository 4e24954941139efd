"""GET /api/v1/costs: the web UI's cost page, from the same report as `theodolite costs report`
(`storage/sql/queries/costs.py`): per-call costs summed exactly, unpriced calls counted apart (a group
whose provider calls are all unpriced has no cost, never $0), cache hits and fallbacks a known $0
with what they saved.

Every grouping but `project` covers the project the request acts in; `project` covers every
project the caller can read: a signed-in user's memberships (all projects for an admin), an API
key's own project only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from theodolite.errors import BadRequestError
from theodolite.query.cost_report import CostLine, CostReport, parse_group_by
from theodolite.server.access import (
    Access,
    ApiKey,
    Basic,
    Bearer,
    ProjectHeader,
    ProjectParam,
    chosen_name,
    resolve_access,
    role_for_method,
)
from theodolite.server.routes.api import ERRORS, End, Start, State, check_time_range
from theodolite.storage.metadata.account_reads import list_memberships

router = APIRouter(prefix="/api/v1", tags=["query"], responses=ERRORS, dependencies=[Depends(check_time_range)])
DEFAULT_DAYS = 30
PAGE_GROUPS = ("day", "model", "project", "user", "feature")
MAX_LINES = 200  # per grouping: the biggest costs (a day series of a year fits)


async def read_access(request: Request, _bearer: Bearer, _api_key: ApiKey, _basic: Basic,
                      header: ProjectHeader = None, param: ProjectParam = None) -> Access:  # fmt: skip
    """The project the request reads (viewer or more), with who reads it."""
    return await resolve_access(request, chosen_name(header, param), role_for_method(request.method))


ReadAccess = Annotated[Access, Depends(read_access)]


class CostLineOut(BaseModel):
    key: str = Field(description="the group's value ('' when the calls have none, e.g. no user)")
    calls: int
    unpriced_calls: int = Field(description="calls to a model without a price: not in cost_usd")
    partial_calls: int = Field(description="calls priced in part (a token type without a rate)")
    not_billed_calls: int = Field(description="cache hits and fallbacks: no provider call, a known $0")
    input_tokens: int
    output_tokens: int
    cost_usd: float | None = Field(description="null when no provider call has a known cost and some are unpriced")
    saved_usd: float | None = Field(description="what the cache hits and fallbacks would have cost; null: unknown")


class CostGroup(BaseModel):
    lines: list[CostLineOut]
    total: CostLineOut
    truncated: bool = Field(description=f"more than {MAX_LINES} lines: the biggest costs are kept")


class CostPage(BaseModel):
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    project: str = Field(description="the project every grouping but `project` covers")
    projects: list[str] = Field(description="the projects the `project` grouping covers")
    groups: dict[str, CostGroup]


def as_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def line_out(line: CostLine, key: str | None = None) -> dict:
    cost, saved = line.cost_usd, line.saved_usd
    return {
        "key": key if key is not None else line.key[0],
        "calls": line.calls,
        "unpriced_calls": line.unpriced_calls,
        "partial_calls": line.partial_calls,
        "not_billed_calls": line.not_billed_calls,
        "input_tokens": line.input_tokens,
        "output_tokens": line.output_tokens,
        "cost_usd": None if cost is None else float(cost),
        "saved_usd": None if saved is None else float(saved),
    }


def group_out(report: CostReport) -> dict:
    return {
        "lines": [line_out(line) for line in report.lines[:MAX_LINES]],
        "total": line_out(report.total, "TOTAL"),
        "truncated": len(report.lines) > MAX_LINES,
    }


GroupBy = Annotated[
    str,
    Query(description=f"comma-separated, among {', '.join(PAGE_GROUPS)} (one grouping each; day is UTC)"),
]


@router.get("/costs", response_model=CostPage, response_model_by_alias=True,
            summary="Cost by day, model, project, user and feature; unpriced and not-billed calls apart")  # fmt: skip
async def costs(
    state: State, access: ReadAccess, start: Start = None, end: End = None, group_by: GroupBy = ",".join(PAGE_GROUPS)
) -> dict:
    groups = parse_group_by(group_by)
    unknown = [name for name in groups if name not in PAGE_GROUPS]
    if unknown:
        raise BadRequestError(
            f"group_by: {', '.join(unknown)} cannot be shown here; choose from {', '.join(PAGE_GROUPS)}"
        )
    until = as_utc(end) if end is not None else datetime.now(UTC)
    since = as_utc(start) if start is not None else until - timedelta(days=DEFAULT_DAYS)
    user = access.user
    memberships = await to_thread.run_sync(
        list_memberships, state.database, None if user is None or user.is_admin else user.id
    )
    names = {m.project_id: m.project_name for m in memberships}
    if user is None:  # an API key reads its own project only
        names = {access.project_id: names[access.project_id]}

    def read() -> dict[tuple[str, ...], CostReport]:
        reports = {}
        per_project = [(name,) for name in groups if name != "project"]
        if per_project:
            reports.update(state.queries.cost_reports(per_project, since, until, project_ids=[access.project_id]))
        if "project" in groups:
            reports.update(state.queries.cost_reports([("project",)], since, until, project_ids=list(names)))
        return reports

    reports = await to_thread.run_sync(read)
    return {
        "from": since,
        "to": until,
        "project": names[access.project_id],
        "projects": sorted(names.values()),
        "groups": {grouping[0]: group_out(report) for grouping, report in reports.items()},
    }
