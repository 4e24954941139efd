"""Online evaluator rules and their progress (the tables are described in `storage/tables.py`).

A rule's progress row is written by the one worker that holds the evaluators' lease
(`server/evaluator_worker.py`), after the scores of a pass are committed: the watermark only moves
over commits whose verdicts are stored. Counts only grow. The HTTP API reads both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from theodolite.errors import BadRequestError, ConflictError, NotFoundError
from theodolite.storage import tables
from theodolite.storage.engine import Database

r = tables.evaluator_rules
g = tables.evaluator_progress


@dataclass(frozen=True, slots=True)
class Progress:
    watermark: int
    head: int  # the commit position of the newest commit the last pass saw
    processed: int
    scored: int
    failed: int
    skipped: int
    last_error: str | None
    last_error_at: datetime | None
    last_run_at: datetime | None
    spent_day: str | None = None  # the UTC day spent_cost is of
    spent_cost: Decimal = Decimal(0)

    def spent_on(self, day: str) -> Decimal:
        """What the rule's judge calls cost on `day` (an ISO date, UTC)."""
        return self.spent_cost if self.spent_day == day else Decimal(0)


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    project_id: int
    name: str
    enabled: bool
    scope: str
    sampling_rate: float
    filter: dict[str, Any]
    evaluator: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    progress: Progress
    daily_cost_limit: Decimal | None = None  # USD per UTC day of its judge calls


def _now() -> datetime:
    return datetime.now(UTC)


def _rule(row: Any) -> Rule:
    progress = Progress(
        row.watermark or 0, row.head or 0, row.processed or 0, row.scored or 0, row.failed or 0, row.skipped or 0,
        row.last_error, row.last_error_at, row.last_run_at, row.spent_day, Decimal(str(row.spent_cost or 0)),
    )  # fmt: skip
    limit = None if row.daily_cost_limit is None else Decimal(str(row.daily_cost_limit))
    return Rule(
        row.id, row.project_id, row.name, bool(row.enabled), row.scope, float(row.sampling_rate), row.filter or {},
        row.evaluator or {}, row.created_at, row.updated_at, progress, limit,
    )  # fmt: skip


def _select() -> Any:
    return select(r, *(g.c[name] for name in (
        "watermark", "head", "processed", "scored", "failed", "skipped", "last_error", "last_error_at", "last_run_at",
        "spent_day", "spent_cost",
    ))).select_from(r.outerjoin(g, g.c.rule_id == r.c.id))  # fmt: skip


def create_rule(
    database: Database,
    project_id: int,
    *,
    name: str,
    scope: str,
    sampling_rate: float,
    filter: dict[str, Any],
    evaluator: dict[str, Any],
    enabled: bool = True,
    watermark: int = 0,
    daily_cost_limit: Decimal | None = None,
) -> Rule:
    """A new rule that reads the commits after `watermark`. ConflictError for a name the project has. Blocks."""
    if not name.strip() or "/" in name:
        raise BadRequestError(f"{name!r} cannot name a rule: give a name without '/'")
    now = _now()
    values = {"project_id": project_id, "name": name, "enabled": enabled, "scope": scope,
              "sampling_rate": float(sampling_rate), "filter": filter, "evaluator": evaluator, "created_at": now,
              "updated_at": now, "daily_cost_limit": daily_cost_limit}  # fmt: skip
    try:
        with database.write_transaction() as conn:
            if conn.execute(select(r.c.id).where(r.c.project_id == project_id, r.c.name == name)).first():
                raise ConflictError(f"the project already has an evaluator rule named {name!r}")
            conn.execute(insert(r).values(values))
            rule_id = conn.execute(select(r.c.id).where(r.c.project_id == project_id, r.c.name == name)).scalar_one()
            conn.execute(insert(g).values(rule_id=rule_id, watermark=watermark, head=watermark))
    except IntegrityError as exc:  # a concurrent create of the same name (PostgreSQL)
        raise ConflictError(f"the project already has an evaluator rule named {name!r}") from exc
    return get_rule(database, project_id, rule_id)


def list_rules(database: Database, project_id: int) -> list[Rule]:
    with database.connect() as conn:
        rows = conn.execute(_select().where(r.c.project_id == project_id).order_by(r.c.name)).all()
    return [_rule(row) for row in rows]


def enabled_rules(database: Database) -> list[Rule]:
    """Every project's enabled rules, by id: what the worker runs."""
    with database.connect() as conn:
        rows = conn.execute(_select().where(r.c.enabled.is_(True)).order_by(r.c.id)).all()
    return [_rule(row) for row in rows]


def has_enabled_rules(database: Database) -> bool:
    """Whether any project has an enabled rule (the server starts the evaluators' process then)."""
    with database.connect() as conn:
        return conn.execute(select(r.c.id).where(r.c.enabled.is_(True)).limit(1)).first() is not None


def get_rule(database: Database, project_id: int, rule_id: int) -> Rule:
    with database.connect() as conn:
        row = conn.execute(_select().where(r.c.project_id == project_id, r.c.id == rule_id)).first()
    if row is None:
        raise NotFoundError(f"no evaluator rule {rule_id} in this project")
    return _rule(row)


def update_rule(database: Database, project_id: int, rule_id: int, changes: dict[str, Any]) -> Rule:
    """Change some of name, enabled, scope, sampling_rate, filter, evaluator, daily_cost_limit. Blocks."""
    allowed = {"name", "enabled", "scope", "sampling_rate", "filter", "evaluator", "daily_cost_limit"}
    values = {key: value for key, value in changes.items() if key in allowed}
    if values:
        values["updated_at"] = _now()
        try:
            with database.write_transaction() as conn:
                done = conn.execute(update(r).where(r.c.project_id == project_id, r.c.id == rule_id).values(values))
                if done.rowcount == 0:
                    raise NotFoundError(f"no evaluator rule {rule_id} in this project")
        except IntegrityError as exc:
            raise ConflictError(f"the project already has an evaluator rule named {values.get('name')!r}") from exc
    return get_rule(database, project_id, rule_id)


def delete_rule(database: Database, project_id: int, rule_id: int) -> None:
    with database.write_transaction() as conn:
        done = conn.execute(delete(r).where(r.c.project_id == project_id, r.c.id == rule_id))
        if done.rowcount == 0:
            raise NotFoundError(f"no evaluator rule {rule_id} in this project")
        conn.execute(delete(g).where(g.c.rule_id == rule_id))


def record_pass(
    database: Database,
    rule_id: int,
    *,
    watermark: int,
    head: int,
    processed: int = 0,
    scored: int = 0,
    failed: int = 0,
    skipped: int = 0,
    error: str | None = None,
    cost: Decimal | None = None,
) -> None:
    """After a pass's scores are committed: move the watermark (never back) and add the counts, and
    `cost` (its judge calls') to what the rule spent today."""
    now = _now()
    values: dict[str, Any] = {
        "watermark": watermark, "head": head, "processed": g.c.processed + processed, "scored": g.c.scored + scored,
        "failed": g.c.failed + failed, "skipped": g.c.skipped + skipped, "last_run_at": now,
    }  # fmt: skip
    if error is not None:
        values.update(last_error=error[:2000], last_error_at=now)
    if cost:
        today = now.date().isoformat()
        spent = case((g.c.spent_day == today, func.coalesce(g.c.spent_cost, 0) + cost), else_=cost)
        values.update(spent_day=today, spent_cost=spent)
    with database.write_transaction() as conn:
        conn.execute(update(g).where(g.c.rule_id == rule_id, g.c.watermark <= watermark).values(values))


def record_error(database: Database, rule_id: int, error: str) -> None:
    """A step that failed as a whole (its trace store unreadable, its evaluator unbuildable): shown,
    and the watermark stays."""
    now = _now()
    with database.write_transaction() as conn:
        conn.execute(update(g).where(g.c.rule_id == rule_id).values(last_error=error[:2000], last_error_at=now,
                                                                     last_run_at=now))  # fmt: skip
