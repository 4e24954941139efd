"""Sessions and users on ClickHouse, as `storage/sql/queries/groups.py` lists them: latest activity
first (then key, both descending) with a keyset cursor of (latest, key, 0); each row's figures are
all-time (the whole session, everything the user did), whatever the range.

One GROUP BY over the project's traces (FINAL) orders and bounds a page: users active during the
range (first seen before its end, last seen at or after its start), sessions with a trace in it
(read only for the sessions the range names), placed by their last trace before the range's end.
The page's totals are then summed from its groups' spans (`traces.TOTALS`, FINAL), as SQL sums its
sessions' `trace_totals`. ClickHouse keeps no snapshot: a group that becomes active while someone
scrolls moves above the cursor and is left out of that scroll, as on SQL; one whose figures change
keeps its place.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from theodolite.query.pagination import decode_group_cursor, encode_cursor
from theodolite.query.totals import empty_totals
from theodolite.storage.clickhouse.queries.sql import Params, Runner
from theodolite.storage.clickhouse.queries.traces import TOTALS, totals_of, utc


def list_groups(
    runner: Runner,
    project_id: int,
    column: str,
    *,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Users (`column` "user_id") or sessions ("session_id") by latest activity; (page, next cursor)."""
    params = Params(project=project_id)
    traces = runner.table("traces")
    where = ["project_id = {project:UInt32}", f"{column} != ''"]
    having = []
    if column == "session_id":  # sessions with a trace in the range, placed by their last before its end
        latest = f"maxIf(timestamp, timestamp < {params.moment(end)})" if end is not None else "max(timestamp)"
        if start is not None or end is not None:
            inside = " AND ".join(params.time_range("timestamp", start, end))
            where.append(
                f"session_id IN (SELECT session_id FROM {traces} FINAL WHERE {' AND '.join(where)} AND {inside})"
            )
    else:  # users active during the range
        latest = "max(timestamp)"
        having += [f"max(timestamp) >= {params.moment(start)}"] if start is not None else []
        having += [f"min(timestamp) < {params.moment(end)}"] if end is not None else []
    if cursor is not None:
        when, key, _ = decode_group_cursor(cursor)
        having.append(f"(latest, key) < ({params.moment(utc(when))}, {params.add(key, 'String')})")
    rows = runner.rows(
        f"SELECT {column} AS key, {latest} AS latest FROM {traces} FINAL WHERE {' AND '.join(where)} GROUP BY key"
        f"{' HAVING ' + ' AND '.join(having) if having else ''} ORDER BY latest DESC, key DESC LIMIT {int(limit) + 1}",
        params,
    )
    page = rows[:limit]
    figures = group_figures(runner, project_id, column, [key for key, _ in page])
    items = [{column: key, **figures[key]} for key, _ in page]
    next_cursor = encode_cursor(utc(page[-1][1]), page[-1][0], 0) if len(rows) > limit else None
    return items, next_cursor


def group_figures(runner: Runner, project_id: int, column: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """{key: trace_count, first_seen, last_seen and the totals} of some users or sessions, all-time."""
    if not keys:
        return {}
    params = {"project": project_id, "keys": list(keys)}
    traces = runner.table("traces")
    where = f"project_id = {{project:UInt32}} AND {column} IN {{keys:Array(String)}}"
    spans = runner.rows(
        f"SELECT {column}, count(), min(timestamp), max(timestamp) FROM {traces} FINAL WHERE {where} GROUP BY {column}",
        params,
    )
    members = f"SELECT id, {column} FROM {traces} FINAL WHERE {where}"
    totals = summed_totals(runner, f"t.{column}", members, params)
    return {
        key: {"trace_count": int(count), "first_seen": utc(first), "last_seen": utc(last)}
        | totals.get(key, empty_totals())
        for key, count, first, last in spans
    }


def summed_totals(runner: Runner, key: str, members: str, params: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    """The totals of groups of traces: `members` selects the traces (`id` and what `key` reads),
    `key` groups them (an expression over their alias `t`)."""
    return {group: totals_of(row) for group, row in summed_rows(runner, key, members, params).items()}


def summed_rows(runner: Runner, key: str, members: str, params: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    """`summed_totals`' raw `TOTALS` sums, by group."""
    result = runner.client.query(
        f"SELECT {key} AS group_key, {TOTALS} FROM {runner.table('observations')} AS o FINAL"
        f" INNER JOIN ({members}) AS t ON o.trace_id = t.id"
        f" WHERE o.project_id = {{project:UInt32}} AND o.trace_id IN (SELECT id FROM ({members})) GROUP BY group_key",
        parameters=params,
    )
    return {raw[0]: dict(zip(result.column_names, raw, strict=True)) for raw in result.result_rows}
