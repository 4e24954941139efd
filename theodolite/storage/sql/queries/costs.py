"""The cost report (`theodolite costs report`): cost, calls and tokens grouped by time, model,
provider, project, user, feature..., summed exactly by the database (numeric on PostgreSQL,
integer 10^-12 dollars on SQLite: `storage.expressions.exact_money_sum`) and added up with
Decimal, so that the total is the sum of the per-call costs to the last digit.

Per call, the cost is Theodolite's own where it has one, else the one the client reported (the
same rule as every other total). A cache hit or a fallback (status not_billed) costs a known $0;
what the provider would have charged is summed apart as `saved`. Unpriced calls are counted,
never summed as $0: a group where no call has a known cost has no cost (None), not 0.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Text, and_, case, func, select, type_coerce

from theodolite.errors import BadRequestError
from theodolite.model import GENERATION_LIKE, CostStatus
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.expressions import exact_money_sum, json_text_field, money_sum_value, time_bucket

o, p, t = tables.observations, tables.projects, tables.traces
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
# Groups read from the call's trace: its user, and the `feature` key of its metadata (what the
# application calls the part of the product that made the call; OTLP: the span attribute
# `theodolite.trace.metadata.feature`, or `langfuse.trace.metadata.feature`).
FEATURE_KEY = "feature"
TRACE_GROUPS = ("user", "feature")
GROUPS = tuple(TIME_GROUPS) + tuple(COLUMN_GROUPS) + TRACE_GROUPS


@dataclass(slots=True)
class CostLine:
    """One group: counts, and exact sums of the known amounts. Read the amounts through `cost_usd`
    and `saved_usd`, which say when a sum is unknown rather than 0."""

    key: tuple[str, ...]
    calls: int = 0
    unpriced_calls: int = 0
    partial_calls: int = 0
    not_billed_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: Decimal = field(default_factory=Decimal)  # of the calls with a known cost
    saved: Decimal = field(default_factory=Decimal)  # of the not-billed calls with a known price
    billed_costed_calls: int = 0  # provider calls with a known cost
    saved_calls: int = 0  # not-billed calls with a known saved amount

    def add_sums(self, row: Any, cost: Decimal | None, saved: Decimal | None) -> None:
        """Add a row of `_sums_query` (its amounts already read as exact Decimals)."""
        for name in ("calls", "unpriced_calls", "partial_calls", "not_billed_calls", "input_tokens", "output_tokens",
                     "billed_costed_calls", "saved_calls"):  # fmt: skip
            setattr(self, name, getattr(self, name) + int(getattr(row, name) or 0))
        self.cost += cost or 0
        self.saved += saved or 0

    def add(self, other: CostLine) -> None:
        for name in ("calls", "unpriced_calls", "partial_calls", "not_billed_calls", "input_tokens", "output_tokens",
                     "cost", "saved", "billed_costed_calls", "saved_calls"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def cost_usd(self) -> Decimal | None:
        """The cost, or None when it is unknown: no provider call has a known cost and some are
        unpriced (their $0 cache hits would make it look free), or there is nothing to price."""
        if self.billed_costed_calls == 0 and (self.unpriced_calls or not self.not_billed_calls):
            return None
        return self.cost

    @property
    def saved_usd(self) -> Decimal | None:
        """What the provider would have charged for the cache hits and fallbacks: 0 when there were
        none, None when there were some and none of them could be priced."""
        return None if self.not_billed_calls and not self.saved_calls else self.saved


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


def cost_report(
    database: Database,
    group_by: Sequence[str],
    since: datetime,
    until: datetime | None = None,
    project: str | None = None,
) -> CostReport:
    """Generations in [since, until) grouped by `group_by`, biggest cost first. Blocks."""
    return cost_reports(database, [tuple(group_by)], since, until, project)[tuple(group_by)]


def cost_reports(
    database: Database,
    groupings: Sequence[tuple[str, ...]],
    since: datetime,
    until: datetime | None = None,
    project: str | None = None,
    *,
    project_ids: Collection[int] | None = None,
) -> dict[tuple[str, ...], CostReport]:
    """Several groupings of the same calls (the web UI's cost page shows five), each biggest cost
    first, a time grouping in time order; `project_ids` limits them to those projects.

    One grouped read by every name of every grouping (a few thousand rows: days x models x users
    ...), then each grouping adds up its rows: one pass over the calls, however many groupings. The
    database sums exactly (`exact_money_sum`), so the amounts are the sums of the per-call costs to
    the last digit. Blocks."""
    names = list(dict.fromkeys(name for grouping in groupings for name in grouping if name not in TIME_GROUPS))
    times = {name for grouping in groupings for name in grouping if name in TIME_GROUPS}
    step_s = min((_TIME_STEP_S[name] for name in times), default=None)  # the finest: hour, else day
    dialect = database.dialect_name
    lines: dict[tuple[str, ...], dict[tuple[str, ...], CostLine]] = {grouping: {} for grouping in groupings}
    with database.connect() as conn:
        for row in conn.execute(_sums_query(dialect, names, step_s, since, until, project, project_ids)):
            values: dict[str, str] = {name: "" if row[i] is None else str(row[i]) for i, name in enumerate(names)}
            if step_s is not None:
                moment = datetime.fromtimestamp(int(row.time_bucket) * step_s, UTC)
                values.update((name, moment.strftime(TIME_GROUPS[name])) for name in times)
            cost, saved = money_sum_value(row.cost, dialect), money_sum_value(row.saved, dialect)
            for grouping, by_key in lines.items():
                key = tuple(values[name] for name in grouping)
                line = by_key.get(key)
                if line is None:
                    line = by_key[key] = CostLine(key)
                line.add_sums(row, cost, saved)
    reports = {}
    for grouping, by_key in lines.items():
        total = CostLine(("TOTAL",))
        for line in by_key.values():
            total.add(line)
        if grouping[0] in TIME_GROUPS:  # a time series reads in time order
            ordered = sorted(by_key.values(), key=lambda line: line.key)
        else:
            ordered = sorted(by_key.values(), key=lambda line: (-line.cost, line.key))
        reports[grouping] = CostReport(grouping, ordered, total)
    return reports


# Time groups are read as whole hours or days since the epoch (UTC), named in Python; a month is
# made of its days.
_TIME_STEP_S = {"hour": 3600, "day": 86400, "month": 86400}


def _sums_query(
    dialect: str,
    names: Sequence[str],
    step_s: int | None,
    since: datetime,
    until: datetime | None,
    project: str | None,
    project_ids: Collection[int] | None,
) -> Any:
    """One row per group of `names` (and time bucket of `step_s`): the counts and exact sums
    `CostLine` keeps, by the rules of its properties (a cache hit or a fallback is not billed,
    whatever its cost; unpriced is a provider call with no cost)."""
    conditions = [o.c.start_time >= since, o.c.type.in_([kind.value for kind in GENERATION_LIKE])]
    if until is not None:
        conditions.append(o.c.start_time < until)
    if project is not None:
        conditions.append(p.c.name == project)
    if project_ids is not None:
        conditions.append(o.c.project_id.in_(sorted(project_ids)))
    groups = []
    for index, name in enumerate(names):
        if name == "user":
            column = t.c.user_id
        elif name == "feature":
            column = type_coerce(json_text_field(t.c.metadata, FEATURE_KEY, dialect), Text)
        else:
            column = COLUMN_GROUPS[name]
        groups.append(column.label(f"g{index}"))
    if step_s is not None:
        groups.append(time_bucket(o.c.start_time, step_s, dialect).label("time_bucket"))
    cost = func.coalesce(o.c.calculated_total_cost, o.c.total_cost)
    not_billed = o.c.cost_status == CostStatus.NOT_BILLED.value
    billed = o.c.cost_status != CostStatus.NOT_BILLED.value

    def count(*conditions: Any) -> Any:
        return func.sum(case((and_(*conditions), 1), else_=0))

    joined = o.join(p, p.c.id == o.c.project_id)
    if any(name in TRACE_GROUPS for name in names):
        joined = joined.outerjoin(t, t.c.id == o.c.trace_id)
    return (
        select(
            *groups,
            func.count().label("calls"),
            func.coalesce(func.sum(o.c.prompt_tokens), 0).label("input_tokens"),
            func.coalesce(func.sum(o.c.completion_tokens), 0).label("output_tokens"),
            count(not_billed).label("not_billed_calls"),
            count(not_billed, o.c.saved_cost.is_not(None)).label("saved_calls"),
            exact_money_sum(case((not_billed, o.c.saved_cost)), dialect).label("saved"),
            count(billed, cost.is_not(None)).label("billed_costed_calls"),
            count(billed, cost.is_not(None), o.c.cost_status == CostStatus.PARTIAL.value).label("partial_calls"),
            count(billed, cost.is_(None), o.c.cost_status == CostStatus.UNPRICED.value).label("unpriced_calls"),
            exact_money_sum(cost, dialect).label("cost"),
        )
        .select_from(joined)
        .where(and_(*conditions))
        .group_by(*groups)
    )
