"""The cost report (`theodolite costs report`): cost, calls and tokens grouped by time, model,
provider, project..., summed with Decimal so that the total is the sum of per-call costs exactly.

Per call, the cost is Theodolite's own where it has one, else the one the client reported (the
same rule as every other total). A cache hit or a fallback (status not_billed) costs a known $0;
what the provider would have charged is summed apart as `saved`. Unpriced calls are counted,
never summed as $0: a group where no call has a known cost has no cost (None), not 0.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Text, and_, select, type_coerce

from theodolite.errors import BadRequestError
from theodolite.model import GENERATION_LIKE, CostStatus
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.expressions import json_text_field

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

    def add_call(self, call: CallCost) -> None:
        self.calls += 1
        self.input_tokens += call.input_tokens
        self.output_tokens += call.output_tokens
        if call.status == CostStatus.NOT_BILLED:
            self.not_billed_calls += 1
            if call.saved is not None:
                self.saved_calls += 1
                self.saved += call.saved
        elif call.cost is not None:
            self.billed_costed_calls += 1
            self.partial_calls += call.status == CostStatus.PARTIAL
        else:
            self.unpriced_calls += call.status == CostStatus.UNPRICED
        if call.cost is not None:
            self.cost += call.cost

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


class CallCost(NamedTuple):
    groups: dict[str, object]
    cost: Decimal | None  # Theodolite's, else the client's; 0 for a cache hit or a fallback
    saved: Decimal | None  # a cache hit or a fallback: what the provider would have charged
    status: str
    input_tokens: int
    output_tokens: int


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
    database: Database,
    since: datetime,
    until: datetime | None = None,
    project: str | None = None,
    *,
    project_ids: Collection[int] | None = None,
    with_trace: bool = False,
) -> Iterator[CallCost]:
    """Every generation in range, with its group values; `project_ids` limits it to those projects,
    `with_trace` adds the trace's groups (user, feature: a join with traces). Blocks."""
    conditions = [o.c.start_time >= since, o.c.type.in_([kind.value for kind in GENERATION_LIKE])]
    if until is not None:
        conditions.append(o.c.start_time < until)
    if project is not None:
        conditions.append(p.c.name == project)
    if project_ids is not None:
        conditions.append(o.c.project_id.in_(sorted(project_ids)))
    trace_columns = (
        [
            t.c.user_id.label("user"),
            type_coerce(json_text_field(t.c.metadata, FEATURE_KEY, database.dialect_name), Text).label("feature"),
        ]
        if with_trace
        else []
    )
    joined = o.join(p, p.c.id == o.c.project_id)
    if with_trace:
        joined = joined.outerjoin(t, t.c.id == o.c.trace_id)
    query = (
        select(
            o.c.start_time, *(column.label(name) for name, column in COLUMN_GROUPS.items()), *trace_columns,
            o.c.calculated_total_cost, o.c.total_cost, o.c.saved_cost, o.c.cost_status,
            o.c.prompt_tokens, o.c.completion_tokens,
        )
        .select_from(joined)
        .where(and_(*conditions))
    )  # fmt: skip
    names = tuple(COLUMN_GROUPS) + (TRACE_GROUPS if with_trace else ())
    with database.connect() as conn:
        for row in conn.execution_options(yield_per=5000).execute(query):
            groups: dict[str, object] = {name: getattr(row, name) for name in names}
            groups["start_time"] = row.start_time
            cost = row.calculated_total_cost if row.calculated_total_cost is not None else row.total_cost
            yield CallCost(
                groups, cost, row.saved_cost, row.cost_status, row.prompt_tokens or 0, row.completion_tokens or 0
            )


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
    """Several groupings of the same calls in one read (the web UI's cost page shows five), each
    biggest cost first, a time grouping in time order. Every report's total is the same. Blocks."""
    with_trace = any(name in TRACE_GROUPS for grouping in groupings for name in grouping)
    lines: dict[tuple[str, ...], dict[tuple[str, ...], CostLine]] = {grouping: {} for grouping in groupings}
    for call in per_call_costs(database, since, until, project, project_ids=project_ids, with_trace=with_trace):
        for grouping, by_key in lines.items():
            key = tuple(_group_value(name, call.groups) for name in grouping)
            line = by_key.get(key)
            if line is None:
                line = by_key[key] = CostLine(key)
            line.add_call(call)
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


def _group_value(name: str, groups: dict[str, object]) -> str:
    if name in TIME_GROUPS:
        return groups["start_time"].strftime(TIME_GROUPS[name])
    value = groups[name]
    return "" if value is None else str(value)
