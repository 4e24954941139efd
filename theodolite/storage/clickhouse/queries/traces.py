"""The trace list (newest first), one trace with its observations, and the observation list on
ClickHouse, as `storage/sql/queries/traces.py` and `observations.py` answer them: the same items,
the same filters, keyset cursors.

Read with FINAL (one row per key, its newest version). A page's totals are summed from its traces'
observations (a page is at most a few hundred traces, found through the `trace_id` skip index), as
the SQL store sums them for one trace. The other orders and the cost, latency and score filters are
`trace_sorts.py`'s; full-text search is a condition on the traces like the others (`search.py`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import orjson

from theodolite.errors import NotFoundError
from theodolite.query.filters import ObservationFilter, TraceFilter
from theodolite.query.pagination import decode_snapshot_cursor, decode_time_cursor, encode_cursor
from theodolite.query.totals import empty_totals, totals_from_row
from theodolite.storage.clickhouse.queries.search import matching_traces
from theodolite.storage.clickhouse.queries.sql import Params, Runner
from theodolite.storage.search_text import parse_search_filter
from theodolite.storage.trace_keys import candidate_keys, wire_trace_id

TRACE_COLUMNS = ("id", "timestamp", "name", "user_id", "session_id", "release", "version", "environment", "tags",
                 "metadata")  # fmt: skip
_BLANK_IS_NONE = frozenset({"name", "user_id", "session_id", "release", "version", "environment"})
# An observation as the SQL store gives it (its `seq` is SQL's insert order: ClickHouse has none).
OBSERVATION_COLUMNS = (
    "trace_id", "id", "parent_observation_id", "type", "name", "start_time", "end_time", "completion_start_time",
    "level", "status_message", "model", "request_model", "provider", "model_parameters", "source", "prompt_tokens",
    "completion_tokens", "total_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens", "input_cost",
    "output_cost", "total_cost", "calculated_input_cost", "calculated_output_cost", "calculated_total_cost",
    "cost_status", "saved_cost", "metadata", "version", "environment",
)  # fmt: skip
_OBSERVATION_TEXT = frozenset(
    {"parent_observation_id", "name", "status_message", "model", "request_model", "provider", "source", "version",
     "environment"}
)  # fmt: skip
_JSON = frozenset({"model_parameters", "metadata"})
SCORE_COLUMNS = ("id", "trace_id", "observation_id", "session_id", "name", "value", "string_value", "data_type",
                 "source", "comment", "metadata", "timestamp", "config_id")  # fmt: skip
_SCORE_TEXT = frozenset({"trace_id", "observation_id", "session_id", "string_value", "comment", "config_id"})
# Per trace, what `aggregates.observation_totals_columns` sums (alias `o`, observations FINAL).
TOTALS = """
    count() AS observation_count,
    sum(ifNull(o.prompt_tokens, 0)) AS input_tokens,
    sum(ifNull(o.completion_tokens, 0)) AS output_tokens,
    sum(ifNull(o.total_tokens, 0)) AS total_tokens,
    sumIf(coalesce(o.calculated_total_cost, o.total_cost), o.cost_status != 'not_billed') AS total_cost,
    countIf(o.cost_status != 'not_billed' AND coalesce(o.calculated_total_cost, o.total_cost) IS NOT NULL) AS priced,
    sum(o.saved_cost) AS saved_cost,
    count(o.saved_cost) AS saved,
    countIf(o.cost_status = 'unpriced') AS unpriced_count,
    countIf(o.cost_status = 'not_billed') AS not_billed_count,
    countIf(o.level = 'ERROR') AS error_count,
    min(o.start_time) AS first_start,
    max(o.end_time) AS last_end"""


EMPTY_TOTALS = empty_totals() | {"latency_s": None}


def utc(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo is not None else value.replace(tzinfo=UTC)


def json_value(text: str) -> Any:
    return orjson.loads(text) if text else None


def list_traces(
    runner: Runner, project_id: int, filters: TraceFilter, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Traces newest first with their totals and score means; (page, next cursor or None). Another
    order, or a filter on cost, latency or scores, is read by `trace_sorts.py`."""
    assert not filters.on_totals(), "trace_sorts.list_sorted reads it"
    params = Params(project=project_id)
    position = decode_snapshot_cursor(cursor) if cursor is not None else None
    since, snapshot = page_snapshot(position[2] if position is not None else None)
    where = trace_conditions(runner, params, filters, since=since)
    if position is not None:
        moment = params.moment(position[0])
        where.append(f"(timestamp < {moment} OR (timestamp = {moment} AND id < {params.add(position[1], 'String')}))")
    statement = (
        f"SELECT {', '.join(TRACE_COLUMNS)} FROM {runner.table('traces')} FINAL WHERE {' AND '.join(where)}"
        f" ORDER BY timestamp DESC, id DESC LIMIT {int(limit) + 1}"
    )
    rows = runner.rows(statement, params)
    page = rows[:limit]
    next_cursor = encode_cursor(utc(page[-1][1]), page[-1][0], snapshot) if len(rows) > limit else None
    return page_items(runner, project_id, page), next_cursor


def page_snapshot(given: int | None) -> tuple[int | None, int]:
    """(`since`, the snapshot the next cursor carries) for a page whose cursor carried `given`: a
    later page keeps its first page's snapshot and leaves out what changed after it
    (`unchanged_since`); a first page (or a cursor of an older server, without one) takes the
    clock's, the row_version (ingest time in ns) above which a trace counts as changed."""
    return (given, given) if given else (None, time.time_ns())


def unchanged_since(runner: Runner, params: Params, snapshot: int) -> list[str]:
    """The conditions on `traces` (unaliased) that leave out of a list's later pages every trace a
    commit after its first page touched: a new trace, a trace row rewritten (a late span moved its
    time, a part renamed it), a trace given a span or a score (its totals or score mean moved).
    Such a trace could otherwise come twice, or move past the cursor; as on SQL, it waits for the
    next scroll from the top. The snapshot is the first page's clock and a commit's version its
    writer's, taken just before its inserts (`writer.py`): servers on several hosts need their
    clocks in step (NTP), and a commit inserting at the moment of the first page may still pass."""
    mark = params.add(snapshot, "UInt64")
    touched = " UNION ALL ".join(
        f"SELECT trace_id FROM {runner.table(table)} WHERE project_id = {{project:UInt32}} AND row_version > {mark}"
        for table in ("observations", "scores")
    )
    return [f"row_version <= {mark}", f"id NOT IN ({touched})"]


def trace_conditions(runner: Runner, params: Params, filters: TraceFilter, *, since: int | None = None) -> list[str]:
    """The plain filters (time range, trace columns, tags, model, level, search) on `traces` (unaliased);
    `params` holds the project as `project`. `since`: a later page's snapshot (`unchanged_since`)."""
    where = ["project_id = {project:UInt32}", *params.time_range("timestamp", filters.start, filters.end)]
    for column, value in (
        ("name", filters.name), ("user_id", filters.user_id), ("session_id", filters.session_id),
        ("release", filters.release), ("environment", filters.environment),
    ):  # fmt: skip
        if value is not None:
            where.append(f"{column} = {params.add(value, 'String')}")
    if filters.tags:
        where.append(f"hasAll(tags, {params.add(list(filters.tags), 'Array(String)')})")
    spans = f"SELECT trace_id FROM {runner.table('observations')} FINAL WHERE project_id = {{project:UInt32}}"
    if filters.model is not None:
        model = params.add(filters.model, "String")
        where.append(f"id IN ({spans} AND (model = {model} OR request_model = {model}))")
    if filters.level is not None:
        where.append(f"id IN ({spans} AND level = {params.add(filters.level.upper(), 'String')})")
    search = parse_search_filter(filters.search)
    if search is not None:
        where.append(f"id IN ({matching_traces(runner, params, search)})")
    if since is not None:
        where += unchanged_since(runner, params, since)
    return where


def page_items(runner: Runner, project_id: int, page: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """The list's items from rows of TRACE_COLUMNS: each with its totals (summed from its spans)
    and its score means."""
    keys = [row[0] for row in page]
    totals = trace_totals(runner, project_id, keys)
    scores = score_means(runner, project_id, keys)
    items = []
    for row in page:
        item = trace_item(row)
        item.update(totals.get(row[0], EMPTY_TOTALS))
        item["scores"] = scores.get(row[0], {})
        items.append(item)
    return items


def trace_item(row: Sequence[Any]) -> dict[str, Any]:
    item = dict(zip(TRACE_COLUMNS, row, strict=True))
    for name in _BLANK_IS_NONE:
        item[name] = item[name] or None
    item["id"] = wire_trace_id(item["id"])
    item["timestamp"] = utc(item["timestamp"])
    item["tags"] = list(item["tags"])
    item["metadata"] = json_value(item["metadata"])
    return item


def trace_totals(runner: Runner, project_id: int, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Totals and latency per trace key, by the rules of `aggregates.totals_from_row`."""
    if not keys:
        return {}
    result = runner.client.query(
        f"SELECT o.trace_id AS trace_key, {TOTALS} FROM {runner.table('observations')} AS o FINAL"
        " WHERE o.project_id = {project:UInt32} AND o.trace_id IN {keys:Array(String)} GROUP BY o.trace_id",
        parameters={"project": project_id, "keys": list(keys)},
    )
    found = {}
    for raw in result.result_rows:
        row = dict(zip(result.column_names, raw, strict=True))
        first, last = row["first_start"], row["last_end"]
        latency = (last - first).total_seconds() if first is not None and last is not None else None
        found[row["trace_key"]] = totals_of(row) | {"latency_s": latency}
    return found


def totals_of(row: dict[str, Any]) -> dict[str, Any]:
    """The API's totals from a row of the `TOTALS` sums (a cost only when some call had one)."""
    known = {"total_cost": row["total_cost"] if row["priced"] else None}
    known["saved_cost"] = row["saved_cost"] if row["saved"] else None
    return totals_from_row(SimpleNamespace(**(row | known)))


def score_means(runner: Runner, project_id: int, keys: Sequence[str]) -> dict[str, dict[str, float]]:
    """{trace key: {score name: mean value}} for a page of traces (numeric scores)."""
    found: dict[str, dict[str, float]] = {}
    if keys:
        rows = runner.rows(
            f"SELECT trace_id, name, avg(value) FROM {runner.table('scores')} FINAL WHERE project_id = "
            "{project:UInt32} AND trace_id IN {keys:Array(String)} AND value IS NOT NULL GROUP BY trace_id, name",
            {"project": project_id, "keys": list(keys)},
        )
        for trace_id, name, value in rows:
            found.setdefault(trace_id, {})[name] = value
    return found


def find_trace(runner: Runner, project_id: int, trace_id: str) -> tuple[str, dict[str, Any]]:
    """(storage key, the trace's fields and root observation id); NotFoundError if the trace is not
    in this project."""
    rows = runner.rows(
        f"SELECT {', '.join(TRACE_COLUMNS)}, root_observation_id FROM {runner.table('traces')} FINAL"
        " WHERE project_id = {project:UInt32} AND id IN {keys:Array(String)} LIMIT 1",
        {"project": project_id, "keys": list(candidate_keys(project_id, trace_id))},
    )
    if not rows:
        raise NotFoundError(f"trace {trace_id} not found")
    trace = trace_item(rows[0][:-1])
    trace["root_observation_id"] = rows[0][-1] or None
    return rows[0][0], trace


def get_trace(runner: Runner, project_id: int, trace_id: str) -> dict[str, Any]:
    """One trace with its observations as a tree (children by start time) and its scores; raises
    NotFoundError if the trace is not in this project."""
    key, trace = find_trace(runner, project_id, trace_id)
    params = {"project": project_id, "keys": list(candidate_keys(project_id, trace_id))}
    trace.update(trace_totals(runner, project_id, [key]).get(key, EMPTY_TOTALS))
    spans = runner.rows(
        f"SELECT {', '.join(OBSERVATION_COLUMNS)}, input, output, attributes FROM {runner.table('observations')}"
        " FINAL WHERE project_id = {project:UInt32} AND trace_id = {key:String} ORDER BY start_time, id",
        {"project": project_id, "key": key},
    )
    nodes: dict[str, dict[str, Any]] = {}
    for span in spans:
        node = observation_item(span)
        nodes[node["id"]] = node
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent_observation_id"]) if node["parent_observation_id"] else None
        (parent["children"] if parent is not None else roots).append(node)
    trace["observations"] = roots
    scores = runner.rows(
        f"SELECT {', '.join(SCORE_COLUMNS)} FROM {runner.table('scores')} FINAL"
        " WHERE project_id = {project:UInt32} AND trace_id IN {keys:Array(String)} ORDER BY timestamp",
        params,
    )
    trace["scores"] = [score_item(score) | {"trace_id": trace["id"]} for score in scores]
    return trace


def list_observations(
    runner: Runner, project_id: int, filters: ObservationFilter, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Observations newest first, without their payloads; (page, next cursor or None)."""
    params = Params(project=project_id)
    where = ["project_id = {project:UInt32}", *params.time_range("start_time", filters.start, filters.end)]
    for column, value in (("type", filters.type), ("model", filters.model), ("name", filters.name)):
        if value is not None:
            where.append(f"{column} = {params.add(value, 'String')}")
    if filters.trace_id is not None:  # a wire id: its keys within this project (storage.trace_keys)
        where.append(f"trace_id IN {params.add(list(candidate_keys(project_id, filters.trace_id)), 'Array(String)')}")
    if filters.level is not None:
        where.append(f"level = {params.add(filters.level.upper(), 'String')}")
    if cursor is not None:
        when, ident = decode_time_cursor(cursor)
        moment = params.moment(when)
        where.append(f"(start_time < {moment} OR (start_time = {moment} AND id < {params.add(ident, 'String')}))")
    rows = runner.rows(
        f"SELECT {', '.join(OBSERVATION_COLUMNS)} FROM {runner.table('observations')} FINAL"
        f" WHERE {' AND '.join(where)} ORDER BY start_time DESC, id DESC LIMIT {int(limit) + 1}",
        params,
    )
    page = [observation_item(row, payloads=False) for row in rows[:limit]]
    next_cursor = encode_cursor(page[-1]["start_time"], page[-1]["id"]) if len(rows) > limit else None
    return page, next_cursor


def observation_item(span: Sequence[Any], *, payloads: bool = True) -> dict[str, Any]:
    names = (*OBSERVATION_COLUMNS, "input", "output", "attributes") if payloads else OBSERVATION_COLUMNS
    node = dict(zip(names, span, strict=True))
    for name in _OBSERVATION_TEXT:
        node[name] = node[name] or None
    for name in _JSON:
        node[name] = json_value(node[name])
    for name in ("start_time", "end_time", "completion_start_time"):
        node[name] = utc(node[name])
    node["trace_id"] = wire_trace_id(node["trace_id"])
    start, end, first = node["start_time"], node["end_time"], node["completion_start_time"]
    node["latency_s"] = (end - start).total_seconds() if end is not None else None
    node["time_to_first_token_s"] = (first - start).total_seconds() if first is not None else None
    if payloads:
        for name in ("input", "output", "attributes"):
            node[name] = json_value(node[name])
        node["children"] = []
    return node


def score_item(row: Sequence[Any]) -> dict[str, Any]:
    score = dict(zip(SCORE_COLUMNS, row, strict=True))
    for name in _SCORE_TEXT:
        score[name] = score[name] or None
    score["metadata"] = json_value(score["metadata"])
    score["timestamp"] = utc(score["timestamp"])
    return score
