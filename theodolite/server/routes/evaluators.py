"""/api/v1/evaluators: the key's project's online evaluator rules and their status.

A rule is validated before it is stored (`evaluation/online.check_rule`): a bad regex, an unknown
evaluator, a sampling rate outside 0..1 or an `api_key_setting` the server's `evaluator_api_keys`
does not hold is a 400 naming the problem. A new rule reads the traffic committed after its
creation. The worker (`server/evaluator_worker.py`) runs the rules; this module only stores them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from theodolite.errors import BadRequestError
from theodolite.evaluation.online import RuleError, check_rule
from theodolite.server.routes.api import ERRORS, Project, State
from theodolite.storage.metadata import evaluator_rules as store

router = APIRouter(prefix="/api/v1/evaluators", tags=["evaluators"], responses={**ERRORS, 409: ERRORS[400]})


class RuleIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    scope: Literal["observation", "trace", "session"] = "trace"
    sampling_rate: float = Field(1.0, description="the share of matching objects evaluated, 0..1")
    filter: dict[str, Any] = Field(default_factory=dict, description="name, name_regex, tags, model, environment, ...")
    evaluator: dict[str, Any] = Field(description='{"type": "builtin", "name", "params"} or {"type": "judge", ...}')
    backfill: bool = Field(False, description="read all stored traffic, not only what comes after the rule")
    daily_cost_limit_usd: float | None = Field(
        None, ge=0, description="most its judge calls may cost a UTC day (USD); then the rule waits. null: no limit"
    )


class RulePatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    enabled: bool | None = None
    scope: Literal["observation", "trace", "session"] | None = None
    sampling_rate: float | None = None
    filter: dict[str, Any] | None = None
    evaluator: dict[str, Any] | None = None
    daily_cost_limit_usd: float | None = Field(None, ge=0, description="null removes the limit")


class StatusOut(BaseModel):
    processed: int
    scored: int
    failed: int
    skipped: int
    last_error: str | None
    last_error_at: datetime | None
    last_run_at: datetime | None
    watermark: int
    lag: int = Field(description="commit positions after the watermark (SQL: observations; ClickHouse: ns)")
    caught_up: bool = Field(description="the last pass read everything committed and nothing waits to settle")
    spent_today_usd: float = Field(description="what the rule's judge calls cost this UTC day")
    budget_reached: bool = Field(description="today's spend reached daily_cost_limit_usd: the rule waits for tomorrow")


class RuleOut(BaseModel):
    id: int
    name: str
    enabled: bool
    scope: str
    sampling_rate: float
    filter: dict[str, Any]
    evaluator: dict[str, Any]
    daily_cost_limit_usd: float | None
    created_at: datetime
    updated_at: datetime
    status: StatusOut


class RuleList(BaseModel):
    data: list[RuleOut]
    evaluators_enabled: bool
    runs_here: bool = Field(description="this server holds the lease and runs the rules")
    runs_in: Literal["process", "thread"] | None = Field(
        description="where this server runs the rules: a process of its own (`evaluator_process`) or a thread; "
        "null when evaluators are off"
    )
    restarts: int = Field(description="times this server started its evaluators' process again after it stopped")


def _check(state: Any, scope: str, rate: float, filters: dict[str, Any], evaluator: dict[str, Any]) -> None:
    try:
        check_rule(scope, rate, filters, evaluator, set(state.settings.evaluator_api_key_map))
    except RuleError as exc:
        raise BadRequestError(str(exc)) from None


def _out(rule: store.Rule, head: int) -> dict[str, Any]:
    p = rule.progress
    lag = max(0, head - p.watermark)
    # a pass ran, read to the newest commit it saw, and nothing waits to settle
    caught_up = p.last_run_at is not None and p.watermark >= p.head
    spent = p.spent_on(datetime.now(UTC).date().isoformat())
    limit = rule.daily_cost_limit
    status = {
        "processed": p.processed, "scored": p.scored, "failed": p.failed, "skipped": p.skipped,
        "last_error": p.last_error, "last_error_at": p.last_error_at, "last_run_at": p.last_run_at,
        "watermark": p.watermark, "lag": lag, "caught_up": caught_up, "spent_today_usd": float(spent),
        "budget_reached": limit is not None and spent >= limit,
    }  # fmt: skip
    fields = ("id", "name", "enabled", "scope", "sampling_rate", "filter", "evaluator", "created_at", "updated_at")
    limit_usd = None if limit is None else float(limit)
    return {key: getattr(rule, key) for key in fields} | {"daily_cost_limit_usd": limit_usd, "status": status}


@router.post("", response_model=RuleOut, status_code=201, summary="Create an online evaluator rule")
def evaluators_create(state: State, project: Project, body: RuleIn) -> dict:
    _check(state, body.scope, body.sampling_rate, body.filter, body.evaluator)
    watermark = 0 if body.backfill else state.queries.commit_position()
    rule = store.create_rule(
        state.database, project, name=body.name, scope=body.scope, sampling_rate=body.sampling_rate,
        filter=body.filter, evaluator=body.evaluator, enabled=body.enabled, watermark=watermark,
        daily_cost_limit=_money(body.daily_cost_limit_usd),
    )  # fmt: skip
    return _out(rule, watermark)


@router.get("", response_model=RuleList, summary="The project's rules with their status, by name")
def evaluators_list(state: State, project: Project) -> dict:
    rules = store.list_rules(state.database, project)
    head = _lag_head(state, project) if rules else 0
    worker = state.evaluator_worker
    return {
        "data": [_out(rule, head) for rule in rules],
        "evaluators_enabled": state.settings.evaluators_enabled,
        "runs_here": bool(worker is not None and worker.holds_lease),
        "runs_in": None if worker is None else worker.runs_in,
        "restarts": 0 if worker is None else worker.restarts,
    }


@router.get("/{rule_id}", response_model=RuleOut, summary="One rule with its status")
def evaluators_get(state: State, project: Project, rule_id: int) -> dict:
    return _out(store.get_rule(state.database, project, rule_id), _lag_head(state, project))


@router.patch("/{rule_id}", response_model=RuleOut, summary="Change a rule (its progress stays)")
def evaluators_update(state: State, project: Project, rule_id: int, body: RulePatch) -> dict:
    current = store.get_rule(state.database, project, rule_id)
    changes = body.model_dump(exclude_unset=True)
    if "daily_cost_limit_usd" in changes:  # null is a value here: no limit
        changes["daily_cost_limit"] = _money(changes.pop("daily_cost_limit_usd"))
    nulls = [key for key, value in changes.items() if value is None and key != "daily_cost_limit"]
    if nulls:
        raise BadRequestError(f"null is not a value of {', '.join(nulls)}")
    merged = {key: changes.get(key, getattr(current, key)) for key in ("scope", "sampling_rate", "filter", "evaluator")}
    _check(state, merged["scope"], merged["sampling_rate"], merged["filter"], merged["evaluator"])
    return _out(store.update_rule(state.database, project, rule_id, changes), _lag_head(state, project))


@router.delete("/{rule_id}", status_code=204, summary="Delete a rule (its scores stay)")
def evaluators_delete(state: State, project: Project, rule_id: int) -> Response:
    store.delete_rule(state.database, project, rule_id)
    return Response(status_code=204)


def _money(usd: float | None) -> Decimal | None:
    return None if usd is None else Decimal(str(usd))


def _lag_head(state: Any, project: int) -> int:
    """The newest commit position: a rule's lag is measured to it."""
    return state.queries.commit_position()
