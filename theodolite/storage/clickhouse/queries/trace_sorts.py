"""The trace list in any order but newest first on ClickHouse (name, user, session, tags, latency,
tokens, cost, level, a named score; ascending or descending) and its cost, latency and score
filters, as `storage/sql/queries/trace_sorts.py` answers them: the same segments, ties and keysets
(`query/sort_keysets.py`), the same items (`traces.page_items`).

Each segment of the order is one statement: the project's traces that pass the plain filters
(FINAL), each joined to its `trace_totals` rows merged per trace (`GROUP BY trace_id`: the
AggregatingMergeTree's rows of a trace are merged only some time after its inserts; its sums are
sign-aware, so an updated span counts once) and, for a score, to the mean of its numeric scores
(FINAL). The value is computed as SQL's `trace_totals` and `trace_scores` store it: the name and the
tags (joined by ", ") cut to 200 characters, '' as no value; latency is last end minus first start;
cost only when some call had one (a not-billed call is no cost); a trace without spans has 0 tokens,
level rank 0, no latency and no cost. ORDER BY ... LIMIT keeps the first rows of each segment: no
index per order, as on SQL, and a time range bounds the traces read.

ClickHouse has no insert order, so the cursor's snapshot is 0 and unread: a trace whose value changes
while someone scrolls may move across the cursor (missed or shown twice), where SQL leaves it out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from numbers import Real
from typing import Any

from theodolite.errors import BadRequestError
from theodolite.query.filters import TraceFilter
from theodolite.query.sort_keysets import MONEY, TIME, decode_sorted_cursor, encode_sorted_cursor, segments
from theodolite.storage.clickhouse.queries.sql import Params, Runner
from theodolite.storage.clickhouse.queries.traces import TRACE_COLUMNS, page_items, page_snapshot, trace_conditions

SORT_KEY_CHARS = 200  # as `storage/trace_totals.SORT_KEY_CHARS`
# sort name -> (the value's expression over `t` (traces) and `tt` (merged totals), its type)
VALUES = {
    "name": (f"nullIf(substringUTF8(t.name, 1, {SORT_KEY_CHARS}), '')", "String"),
    "user": ("nullIf(t.user_id, '')", "String"),
    "session": ("nullIf(t.session_id, '')", "String"),
    "tags": (f"nullIf(substringUTF8(arrayStringConcat(t.tags, ', '), 1, {SORT_KEY_CHARS}), '')", "String"),
    "latency": ("if(tt.last_end IS NULL, NULL, dateDiff('microsecond', tt.first_start, tt.last_end) / 1000000)",
                "Float64"),
    "tokens": ("ifNull(tt.total_tokens, 0)", "Int64"),
    "cost": ("if(tt.priced_count > 0, tt.total_cost, NULL)", MONEY),
    "level": ("toInt64(ifNull(tt.level_rank, 0))", "Int64"),
}  # fmt: skip
# A trace's `trace_totals` rows merged (its traces: a statement over the filtered traces' ids).
_MERGED_TOTALS = """
    SELECT trace_id, sum(total_tokens) AS total_tokens, sum(total_cost) AS total_cost,
        sum(priced_count) AS priced_count, min(first_start) AS first_start, max(last_end) AS last_end,
        max(level_rank) AS level_rank
    FROM {table} WHERE project_id = {{project:UInt32}} AND trace_id IN ({traces}) GROUP BY trace_id"""
_COMPARISONS = {">=", "<=", ">", "<", "=", "!="}
_ON_TOTALS = frozenset({"latency", "tokens", "cost", "level"})  # the orders on a value of `trace_totals`
_OWN_COLUMN = {"name": "name", "user": "user_id", "session": "session_id", "tags": "tags"}


def list_sorted(
    runner: Runner, project_id: int, filters: TraceFilter, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Traces in `filters.sort`'s order, those with the value first; (page, next cursor or None)."""
    sort = filters.sort
    segment, after, given = decode_sorted_cursor(cursor, sort) if cursor is not None else (0, None, None)
    since, snapshot = page_snapshot(given)
    rows: list[tuple[int, tuple[Any, ...]]] = []
    for current in segments(sort):
        if current < segment:
            continue
        keyset = after if current == segment else None
        rows += [
            (current, row)
            for row in _segment(runner, project_id, filters, current, keyset, limit + 1 - len(rows), since)
        ]
        if len(rows) > limit:
            break
    page = rows[:limit]
    found = {
        row[0]: row
        for row in runner.rows(
            f"SELECT {', '.join(TRACE_COLUMNS)} FROM {runner.table('traces')} FINAL"
            " WHERE project_id = {project:UInt32} AND id IN {keys:Array(String)}",
            {"project": project_id, "keys": [row[0] for _, row in page]},
        )
    }
    items = page_items(runner, project_id, [found[row[0]] for _, row in page])
    next_cursor = None
    if len(rows) > limit:
        last_segment, last = page[-1]
        next_cursor = encode_sorted_cursor(sort, last_segment, list(last[1:]), snapshot)
    return items, next_cursor


def _segment(
    runner: Runner,
    project_id: int,
    filters: TraceFilter,
    segment: int,
    after: list[Any] | None,
    wanted: int,
    since: int | None,
) -> list[tuple[Any, ...]]:
    """Up to `wanted` rows of one segment: the trace's key, then its keyset values. `since`: a later
    page's snapshot."""
    sort = filters.sort
    params = Params(project=project_id)
    conditions = " AND ".join(trace_conditions(runner, params, filters, since=since))
    traces = runner.table("traces")
    # Only the key, the timestamp and the column the order reads: the page's traces are read by key
    # afterwards, so no other column (metadata above all) is read for every trace of the range.
    read = ", ".join(["id", "timestamp", *([_OWN_COLUMN[sort.name]] if sort.name in _OWN_COLUMN else [])])
    source = f"(SELECT {read} FROM {traces} FINAL WHERE {conditions}) AS t"
    if sort.name in _ON_TOTALS or _bounded(filters):
        totals = _MERGED_TOTALS.format(
            table=runner.table("trace_totals"), traces=f"SELECT id FROM {traces} FINAL WHERE {conditions}"
        )
        source += f" LEFT JOIN ({totals}) AS tt ON tt.trace_id = t.id"
    where = _totals_filters(runner, params, filters)
    score, newest = sort.score_name, (["t.timestamp", "t.id"], [TIME, "String"], True)
    if score is not None and segment == 0:
        means = f"SELECT trace_id, avg(value) AS value FROM ({_scored(runner, params, score)}) GROUP BY trace_id"
        source += f" INNER JOIN ({means}) AS sm ON sm.trace_id = t.id"
        columns, kinds, descending = ["sm.value", "t.id"], ["Float64", "String"], sort.descending
    elif score is not None:
        where.append(f"t.id NOT IN (SELECT trace_id FROM ({_scored(runner, params, score)}))")
        columns, kinds, descending = newest
    elif sort.name == "time":
        columns, kinds, descending = ["t.timestamp", "t.id"], [TIME, "String"], sort.descending
    elif segment == 0:
        value, kind = VALUES[sort.name]
        where.append(f"({value}) IS NOT NULL")
        columns, kinds, descending = (
            [f"assumeNotNull({value})", "t.timestamp", "t.id"],
            [kind, TIME, "String"],
            sort.descending,
        )
    else:
        where.append(f"({VALUES[sort.name][0]}) IS NULL")
        columns, kinds, descending = newest
    if after is not None:
        bounds = ", ".join(_bound(params, kind, value) for kind, value in zip(kinds, after, strict=True))
        where.append(f"({', '.join(columns)}) {'<' if descending else '>'} ({bounds})")
    direction = "DESC" if descending else "ASC"
    statement = (
        f"SELECT t.id, {', '.join(f'{column} AS k{i}' for i, column in enumerate(columns))} FROM {source}"
        f"{' WHERE ' + ' AND '.join(where) if where else ''}"
        f" ORDER BY {', '.join(f'k{i} {direction}' for i in range(len(columns)))} LIMIT {int(wanted)}"
        " SETTINGS join_use_nulls = 1"
    )
    return runner.rows(statement, params)


def _bounded(filters: TraceFilter) -> bool:
    """Whether a cost or latency bound reads `trace_totals`."""
    return any(
        bound is not None for bound in (filters.cost_min, filters.cost_max, filters.latency_min, filters.latency_max)
    )


def _scored(runner: Runner, params: Params, name: str) -> str:
    """The project's numeric scores named `name` (trace_id, value), newest versions."""
    return (
        f"SELECT trace_id, value FROM {runner.table('scores')} FINAL WHERE project_id = {{project:UInt32}}"
        f" AND name = {params.add(name, 'String')} AND value IS NOT NULL"
    )


def _totals_filters(runner: Runner, params: Params, filters: TraceFilter) -> list[str]:
    """The cost and latency bounds (inclusive; a trace without the value never matches) and the score
    filters (the mean of the trace's scores of that name compares to the number)."""
    where = []
    for sort, bound, above in (
        ("cost", filters.cost_min, True), ("cost", filters.cost_max, False),
        ("latency", filters.latency_min, True), ("latency", filters.latency_max, False),
    ):  # fmt: skip
        if bound is not None:
            value, kind = VALUES[sort]
            where.append(f"({value}) {'>=' if above else '<='} {_bound(params, kind, bound)}")
    for score in filters.scores:
        if score.op not in _COMPARISONS:
            raise BadRequestError(f"unknown comparison {score.op!r}")
        where.append(
            f"t.id IN (SELECT trace_id FROM ({_scored(runner, params, score.name)}) GROUP BY trace_id"
            f" HAVING avg(value) {score.op} {params.add(float(score.value), 'Float64')})"
        )
    return where


def _bound(params: Params, kind: str, value: Any) -> str:
    """A keyset or filter value bound as its column's type; a value of the wrong type is a cursor
    this server did not issue."""
    if kind == TIME and isinstance(value, datetime):
        return params.moment(value if value.tzinfo is not None else value.replace(tzinfo=UTC))
    if kind == MONEY and isinstance(value, Decimal):
        return f"toDecimal128({params.add(str(value), 'String')}, 12)"
    if kind == "String" and isinstance(value, str):
        return params.add(value, "String")
    if kind == "Float64" and isinstance(value, Real) and not isinstance(value, bool):
        return params.add(float(value), "Float64")
    if kind == "Int64" and isinstance(value, int) and not isinstance(value, bool):
        return params.add(value, "Int64")
    raise BadRequestError("cursor is not one this server issued")
