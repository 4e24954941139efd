"""The cost report on ClickHouse (`query/cost_report.py`'s lines), as `storage/sql/queries/costs.py`
sums it: one grouped read of the generations (observations FINAL) by every name of every grouping,
then each grouping adds up its rows. Costs are `Decimal(18, 12)` and their sums `Decimal(38, 12)`:
exact, like PostgreSQL's numeric. Project names are metadata (they stay on SQL): the store is given a
function from project id to name.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from types import SimpleNamespace

from theodolite.model import GENERATION_LIKE, CostStatus
from theodolite.query.cost_report import FEATURE_KEY, TIME_GROUPS, TRACE_GROUPS, CostLine, CostReport
from theodolite.storage.clickhouse.queries.sql import Params, Runner, micros

_COLUMNS = {
    "model": "o.model", "provider": "o.provider", "project": "o.project_id", "name": "o.name", "type": "o.type",
    "source": "o.source", "environment": "o.environment", "user": "t.user_id",
    # The metadata's `feature` as text (a number or a boolean as its JSON text, as PostgreSQL's ->> gives it).
    "feature": f"if(JSONType(t.metadata, '{FEATURE_KEY}') = 'String', JSONExtractString(t.metadata, '{FEATURE_KEY}'),"
    f" if(JSONType(t.metadata, '{FEATURE_KEY}') = 'Null', '', JSONExtractRaw(t.metadata, '{FEATURE_KEY}')))",
}  # fmt: skip
_TIME_STEP_S = {"hour": 3600, "day": 86400, "month": 86400}
_NOT_BILLED = CostStatus.NOT_BILLED.value
_SUMS = f"""
    count() AS calls,
    sum(ifNull(o.prompt_tokens, 0)) AS input_tokens,
    sum(ifNull(o.completion_tokens, 0)) AS output_tokens,
    countIf(o.cost_status = '{_NOT_BILLED}') AS not_billed_calls,
    countIf(o.cost_status = '{_NOT_BILLED}' AND o.saved_cost IS NOT NULL) AS saved_calls,
    sumIf(ifNull(o.saved_cost, 0), o.cost_status = '{_NOT_BILLED}') AS saved,
    countIf(o.cost_status != '{_NOT_BILLED}' AND coalesce(o.calculated_total_cost, o.total_cost) IS NOT NULL)
        AS billed_costed_calls,
    countIf(o.cost_status != '{_NOT_BILLED}' AND coalesce(o.calculated_total_cost, o.total_cost) IS NOT NULL
        AND o.cost_status = '{CostStatus.PARTIAL.value}') AS partial_calls,
    countIf(o.cost_status != '{_NOT_BILLED}' AND coalesce(o.calculated_total_cost, o.total_cost) IS NULL
        AND o.cost_status = '{CostStatus.UNPRICED.value}') AS unpriced_calls,
    sum(ifNull(coalesce(o.calculated_total_cost, o.total_cost), 0)) AS cost"""


def cost_reports(
    runner: Runner,
    groupings: Sequence[tuple[str, ...]],
    since: datetime,
    until: datetime | None,
    project_ids: Collection[int] | None,
    project_name: Callable[[int], str],
) -> dict[tuple[str, ...], CostReport]:
    """Several groupings of the same calls, each biggest cost first, a time grouping in time order."""
    names = list(dict.fromkeys(name for grouping in groupings for name in grouping if name not in TIME_GROUPS))
    times = {name for grouping in groupings for name in grouping if name in TIME_GROUPS}
    step_s = min((_TIME_STEP_S[name] for name in times), default=None)
    params = Params(since_us=micros(since), kinds=[kind.value for kind in GENERATION_LIKE])
    where = ["o.start_time >= fromUnixTimestamp64Micro({since_us:Int64}, 'UTC')", "o.type IN {kinds:Array(String)}"]
    if until is not None:
        params.values["until_us"] = micros(until)
        where.append("o.start_time < fromUnixTimestamp64Micro({until_us:Int64}, 'UTC')")
    if project_ids is not None:
        where.append(f"o.project_id IN {params.add(sorted(project_ids), 'Array(UInt32)')}")
    groups = [f"{_COLUMNS[name]} AS g{index}" for index, name in enumerate(names)]
    if step_s is not None:
        groups.append(f"intDiv(toInt64(toUnixTimestamp(o.start_time)), {step_s}) AS time_bucket")
    source = f"{runner.table('observations')} AS o FINAL"
    if any(name in TRACE_GROUPS for name in names):
        source += (
            f" LEFT JOIN (SELECT id, user_id, metadata FROM {runner.table('traces')} FINAL) AS t ON t.id = o.trace_id"
        )
    statement = f"SELECT {', '.join([*groups, _SUMS])} FROM {source} WHERE {' AND '.join(where)}" + (
        f" GROUP BY {', '.join(group.rsplit(' AS ', 1)[1] for group in groups)}" if groups else ""
    )
    result = runner.client.query(statement, parameters=params.values)
    columns = result.column_names
    lines: dict[tuple[str, ...], dict[tuple[str, ...], CostLine]] = {grouping: {} for grouping in groupings}
    for raw in result.result_rows:
        row = SimpleNamespace(**dict(zip(columns, raw, strict=True)))
        values: dict[str, str] = {}
        for index, name in enumerate(names):
            value = getattr(row, f"g{index}")
            values[name] = project_name(int(value)) if name == "project" else ("" if value is None else str(value))
        if step_s is not None:
            moment = datetime.fromtimestamp(int(row.time_bucket) * step_s, UTC)
            values.update((name, moment.strftime(TIME_GROUPS[name])) for name in times)
        for grouping, by_key in lines.items():
            key = tuple(values[name] for name in grouping)
            line = by_key.get(key)
            if line is None:
                line = by_key[key] = CostLine(key)
            line.add_sums(row, row.cost, row.saved)
    reports = {}
    for grouping, by_key in lines.items():
        total = CostLine(("TOTAL",))
        for line in by_key.values():
            total.add(line)
        if grouping[0] in TIME_GROUPS:
            ordered = sorted(by_key.values(), key=lambda line: line.key)
        else:
            ordered = sorted(by_key.values(), key=lambda line: (-line.cost, line.key))
        reports[grouping] = CostReport(grouping, ordered, total)
    return reports
