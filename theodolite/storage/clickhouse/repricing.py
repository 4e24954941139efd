"""Re-pricing stored calls on ClickHouse (`theodolite costs recompute`), by the SQL store's rule
(`storage/repricing_rule.py`: `cost_of_call` with the projects' price overrides) and with its
guarantees: batches, each written on its own, so that an interrupted run has lost nothing; only
calls whose cost changed are written, so a second run writes nothing.

ClickHouse has no UPDATE worth the name (a mutation rewrites whole parts, and the materialised views
never see it). A changed call is written as the writer writes any update
(`ClickHouseWriter.replace_observations`): the stored row again as a cancelling row (`sign` -1,
`is_deleted` 1, one version below), then the row with its new cost, in one insert per batch. The
views add `sign * value`, so the rollups and the per-trace totals move by exactly the cost's change,
and `FINAL` reads see the new row.

Each batch is two reads. The first walks the range in the table's sorting key order (project, day,
trace, id: a keyset, so a batch starts where the last ended through the primary index), `FINAL`,
without the payloads: most calls of a re-run do not change, and the payloads are most of the
bytes. The second reads the whole rows of the calls that changed (their payloads go into the new
row), and their cost is taken again from what it read, so the cancelling row is the row stored
when the batch is written.

The second read and the insert hold the projects' write locks, the servers' writers' own
(`write_locks.py`): a Langfuse update of the same call cannot land between them, which would have
the views take the call away twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from theodolite.model import GENERATION_LIKE, Cost, Usage
from theodolite.pricing import PriceOverrides
from theodolite.storage.clickhouse.queries.sql import micros
from theodolite.storage.clickhouse.rows import OBSERVATION_FIELDS, utc
from theodolite.storage.clickhouse.writer import ClickHouseWriter
from theodolite.storage.repricing_rule import COST_COLUMNS, NO_OVERRIDES, RepriceSummary, cost_values, repriced

_FIELD = {name: index for index, name in enumerate(OBSERVATION_FIELDS)}
_COST_INDEXES = tuple(_FIELD[name] for name in COST_COLUMNS)
_KEY = "project_id, toDate(start_time), trace_id, id"  # the sorting key: the walk's order
_MONEY_COLUMNS = frozenset({"calculated_input_cost", "calculated_output_cost", "calculated_total_cost", "saved_cost"})


def _scope(since: datetime, until: datetime | None, project_id: int | None) -> tuple[str, dict[str, Any]]:
    """The SQL store's scope: generations, and other calls that carry a reported cost, that started
    in [since, until)."""
    where = [
        "start_time >= fromUnixTimestamp64Micro({since_us:Int64}, 'UTC')",
        "(type IN {kinds:Array(String)} OR total_cost IS NOT NULL)",
    ]
    parameters: dict[str, Any] = {"since_us": micros(since), "kinds": [kind.value for kind in GENERATION_LIKE]}
    if until is not None:
        where.append("start_time < fromUnixTimestamp64Micro({until_us:Int64}, 'UTC')")
        parameters["until_us"] = micros(until)
    if project_id is not None:
        where.append("project_id = {project_id:UInt32}")
        parameters["project_id"] = project_id
    return " AND ".join(where), parameters


def count_to_reprice(writer: ClickHouseWriter, since: datetime, until: datetime | None, project_id: int | None) -> int:
    where, parameters = _scope(since, until, project_id)
    sql = f"SELECT count() FROM `{writer.database}`.observations FINAL WHERE {where}"
    return int(writer.client.query(sql, parameters=parameters).result_rows[0][0])


def _cost(row: Sequence[Any], overrides: dict[int, PriceOverrides]) -> Cost:
    """The new cost of a row read as OBSERVATION_FIELDS (an absent text is '' there, None here)."""

    def field(name: str) -> Any:
        return row[_FIELD[name]]

    usage = Usage(
        field("prompt_tokens"), field("completion_tokens"), field("total_tokens"), field("cache_read_tokens"),
        field("cache_write_tokens"), field("reasoning_tokens"),
    )  # fmt: skip
    reported = Cost(
        reported_input=field("input_cost"), reported_output=field("output_cost"), reported_total=field("total_cost")
    )
    return repriced(
        field("type"), field("source") or None, usage, field("model") or None, field("provider") or None,
        utc(field("start_time")), reported, overrides.get(field("project_id"), NO_OVERRIDES),
    )  # fmt: skip


def _stored(cost: Cost, money: Callable[[Any], Any]) -> tuple[Any, ...]:
    """The cost as the COST_COLUMNS store it: money rounded to the columns' 12 decimals (what a read
    gives back, so that a second run compares equal), the status as text ('' for none)."""
    return tuple(
        money(value) if name in _MONEY_COLUMNS else value
        for name, value in zip(COST_COLUMNS, cost_values(cost), strict=True)
    )


def reprice(
    writer: ClickHouseWriter,
    overrides: dict[int, PriceOverrides],
    *,
    since: datetime,
    until: datetime | None = None,
    project_id: int | None = None,
    batch_size: int = 2000,
    on_batch: Callable[[int], None] = lambda n: None,
) -> RepriceSummary:
    """Re-price every call in the range with today's prices and `overrides` (per project id), like
    `storage.repricing.reprice` on SQL; `on_batch` is told each batch's number of calls. Blocks."""
    summary = RepriceSummary(by_status={})
    where, parameters = _scope(since, until, project_id)
    columns = ", ".join(OBSERVATION_FIELDS)
    table = f"`{writer.database}`.observations"
    after: tuple[int, Any, str, str] | None = None
    while True:
        walk = where
        if after is not None:
            # The tuple gives the order; the two bounds beside it let the primary index skip what is behind.
            walk += (
                f" AND ({_KEY}) > ({{a_project:UInt32}}, {{a_day:Date}}, {{a_trace:String}}, {{a_id:String}})"
                " AND project_id >= {a_project:UInt32}"
                " AND (project_id > {a_project:UInt32} OR toDate(start_time) >= {a_day:Date})"
            )
            parameters.update(zip(("a_project", "a_day", "a_trace", "a_id"), after, strict=True))
        sql = f"SELECT {columns} FROM {table} FINAL WHERE {walk} ORDER BY {_KEY} LIMIT {int(batch_size)}"
        rows = writer.client.query(sql, parameters=parameters).result_rows
        if not rows:
            writer.catch_up()  # the trace rollups of the rewritten calls' traces
            return summary
        changed = []
        for row in rows:
            cost = _cost(row, overrides)
            summary.count(cost.status.value)
            if _stored(cost, writer.codec.money) != tuple(row[index] for index in _COST_INDEXES):
                changed.append((row[_FIELD["project_id"]], row[_FIELD["trace_id"]], row[_FIELD["id"]]))
        summary.changed += _rewrite(writer, changed, overrides)
        summary.scanned += len(rows)
        last = rows[-1]
        day = utc(last[_FIELD["start_time"]]).date()  # type: ignore[union-attr]  # the sorting key's UTC day
        after = (last[_FIELD["project_id"]], day, last[_FIELD["trace_id"]], last[_FIELD["id"]])
        on_batch(len(rows))


def _rewrite(writer: ClickHouseWriter, keys: list[tuple[int, str, str]], overrides: dict[int, PriceOverrides]) -> int:
    """Write the calls of `keys` with their new cost, read whole (payloads too) and priced again from
    that read; returns how many were written."""
    if not keys:
        return 0
    replacements = []
    with writer.locks.hold({project_id for project_id, _, _ in keys}):
        for stored, _ in writer.stored_observations(keys).values():
            new = _stored(_cost(stored, overrides), writer.codec.money)
            if new == tuple(stored[index] for index in _COST_INDEXES):
                continue  # changed since the first read, to the cost it now gets
            values = list(stored)
            for index, value in zip(_COST_INDEXES, new, strict=True):
                values[index] = value
            replacements.append((stored, values))
        writer.replace_observations(replacements)
    return len(replacements)
