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
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, and_, case, func, select, type_coerce

from theodolite.model import GENERATION_LIKE, CostStatus
from theodolite.query.cost_report import (
    COLUMN_GROUP_NAMES,
    FEATURE_KEY,
    TIME_GROUPS,
    TRACE_GROUPS,
    CostLine,
    CostReport,
)
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.expressions import exact_money_sum, json_text_field, money_sum_value, time_bucket

o, p, t = tables.observations, tables.projects, tables.traces
COLUMN_GROUPS = {
    "model": o.c.model,
    "provider": o.c.provider,
    "project": p.c.name,
    "name": o.c.name,
    "type": o.c.type,
    "source": o.c.source,
    "environment": o.c.environment,
}
assert tuple(COLUMN_GROUPS) == COLUMN_GROUP_NAMES, "every group the report accepts has a column here"


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
