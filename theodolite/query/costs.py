"""The cost report (`theodolite costs report`): cost, calls and tokens grouped by time, model,
provider, project..., summed with Decimal so that the total is the sum of per-call costs exactly.

Per call, the cost is Theodolite's own where it has one, else the one the client reported (the
same rule as every other total). Unpriced calls are counted, never summed as $0.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, select

from theodolite.errors import BadRequestError
from theodolite.model import GENERATION_LIKE
from theodolite.storage import tables
from theodolite.storage.engine import Database

o, p = tables.observations, tables.projects
TIME_GROUPS = {"hour": "%Y-%m-%d %H:00", "day": "%Y-%m-%d", "month": "%Y-%m"}
COLUMN_GROUPS = {
    "model": o.c.model,
    "provider": o.c.provider,
    "project": p.c.name,
    "name": o.c.name,
    "type": o.c.type,
    "source": o.c.source,
    "environment": o.c.environment,
}
GROUPS = tuple(TIME_GROUPS) + tuple(COLUMN_GROUPS)
UNPRICED = ("unpriced",)


@dataclass(slots=True)
class CostLine:
    key: tuple[str, ...]
    calls: int = 0
    unpriced_calls: int = 0
    partial_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: Decimal = field(default_factory=lambda: Decimal(0))

    def add(self, other: CostLine) -> None:
        self.calls += other.calls
        self.unpriced_calls += other.unpriced_calls
        self.partial_calls += other.partial_calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cost += other.cost


@dataclass(slots=True)
class CostReport:
    group_by: tuple[str, ...]
    lines: list[CostLine]
    total: CostLine


def parse_group_by(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in GROUPS]
    if unknown or not names:
        raise BadRequestError(f"cannot group by {', '.join(unknown) or '(nothing)'}; choose from {', '.join(GROUPS)}")
    return names


def per_call_costs(
    database: Database, since: datetime, until: datetime | None = None, project: str | None = None
) -> Iterator[tuple[dict[str, object], Decimal | None, str, int, int]]:
    """Every generation in range: (group values, cost or None, status, input, output tokens). Blocks."""
    conditions = [o.c.start_time >= since, o.c.type.in_([t.value for t in GENERATION_LIKE])]
    if until is not None:
        conditions.append(o.c.start_time < until)
    if project is not None:
        conditions.append(p.c.name == project)
    query = (
        select(
            o.c.start_time, *(column.label(name) for name, column in COLUMN_GROUPS.items()),
            o.c.calculated_total_cost, o.c.total_cost, o.c.cost_status, o.c.prompt_tokens, o.c.completion_tokens,
        )
        .join(p, p.c.id == o.c.project_id)
        .where(and_(*conditions))
    )  # fmt: skip
    with database.connect() as conn:
        for row in conn.execution_options(yield_per=5000).execute(query):
            groups: dict[str, object] = {name: getattr(row, name) for name in COLUMN_GROUPS}
            groups["start_time"] = row.start_time
            cost = row.calculated_total_cost if row.calculated_total_cost is not None else row.total_cost
            yield groups, cost, row.cost_status, row.prompt_tokens or 0, row.completion_tokens or 0


def cost_report(
    database: Database,
    group_by: Sequence[str],
    since: datetime,
    until: datetime | None = None,
    project: str | None = None,
) -> CostReport:
    """Generations in [since, until) grouped by `group_by`, biggest cost first. Blocks."""
    lines: dict[tuple[str, ...], CostLine] = {}
    for groups, cost, status, input_tokens, output_tokens in per_call_costs(database, since, until, project):
        key = tuple(_group_value(name, groups) for name in group_by)
        line = lines.get(key)
        if line is None:
            line = lines[key] = CostLine(key)
        line.calls += 1
        line.input_tokens += input_tokens
        line.output_tokens += output_tokens
        if cost is None:
            line.unpriced_calls += status in UNPRICED
        else:
            line.cost += cost
            line.partial_calls += status == "partial"
    total = CostLine(("TOTAL",))
    for line in lines.values():
        total.add(line)
    if group_by[0] in TIME_GROUPS:  # a time series reads in time order
        ordered = sorted(lines.values(), key=lambda line: line.key)
    else:
        ordered = sorted(lines.values(), key=lambda line: (-line.cost, line.key))
    return CostReport(tuple(group_by), ordered, total)


def _group_value(name: str, groups: dict[str, object]) -> str:
    if name in TIME_GROUPS:
        return groups["start_time"].strftime(TIME_GROUPS[name])
    value = groups[name]
    return "" if value is None else str(value)
