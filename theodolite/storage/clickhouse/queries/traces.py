"""The trace list (newest first), one trace with its observations, and the observation list on
ClickHouse, as `storage/sql/queries/traces.py` and `observations.py` answer them: the same items,
the same filters, keyset cursors.

Read with FINAL (one row per key, its newest version). A page's totals are summed from its traces'
observations (a page is at most a few hundred traces, found through the `trace_id` skip index), as
the SQL store sums them for one trace. Not here yet: full-text search, the other orders and the
cost, latency and score filters (they read per-trace totals and scores the way `trace_sorts.py`
does on SQL); they raise NotSupportedError (501).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from theodolite.errors import NotFoundError, NotSupportedError
from theodolite.query.filters import ObservationFilter, TraceFilter
from theodolite.query.pagination import decode_snapshot_cursor, decode_time_cursor, encode_cursor
from theodolite.storage.clickhouse.queries.sql import Params, Runner, micros
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
                 "source", "comment", "metadata", "timestamp")  # fmt: skip
_SCORE_TEXT = frozenset({"trace_id", "observation_id", "session_id", "string_value", "comment"})
# Per trace, what `aggregates.observation_totals_columns` sums (alias `o`, observations FINAL).
_TOTALS = """
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


def unavailable(what: str) -> NotSupportedError:
    """A read the ClickHouse store cannot answer yet: 501 with what is missing, never another answer."""
    return NotSupportedError(f"{what} is not implemented on the ClickHouse trace store yet (docs/clickhouse.md)")


def _utc(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo is not None else value.replace(tzinfo=UTC)


def _json(text: str) -> Any:
    return orjson.loads(text) if text else None


def list_traces(
    runner: Runner, project_id: int, filters: TraceFilter, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Traces newest first with their totals and score means; (page, next cursor or None)."""
    if filters.search:
        raise unavailable("full-text search in the trace list")
    if filters.on_totals():
        raise unavailable("the trace list's other orders and its cost, latency and score filters")
    params = Params(project=project_id)
    where = ["project_id = {project:UInt32}"]
    if filters.start is not None:
        where.append(f"timestamp >= fromUnixTimestamp64Micro({params.add(micros(filters.start), 'Int64')}, 'UTC')")
    if filters.end is not None:
        where.append(f"timestamp < fromUnixTimestamp64Micro({params.add(micros(filters.end), 'Int64')}, 'UTC')")
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
    if cursor is not None:
        when, ident, _ = decode_snapshot_cursor(cursor)
        moment = f"fromUnixTimestamp64Micro({params.add(micros(when), 'Int64')}, 'UTC')"
        where.append(f"(timestamp < {moment} OR (timestamp = {moment} AND id < {params.add(ident, 'String')}))")
    statement = (
        f"SELECT {', '.join(TRACE_COLUMNS)} FROM {runner.table('traces')} FINAL WHERE {' AND '.join(where)}"
        f" ORDER BY timestamp DESC, id DESC LIMIT {int(limit) + 1}"
    )
    rows = runner.rows(statement, params)
    page = rows[:limit]
    keys = [row[0] for row in page]
    totals = trace_totals(runner, project_id, keys)
    scores = score_means(runner, project_id, keys)
    items = []
    for row in page:
        item = _trace(row)
        item.update(totals.get(row[0], _empty_totals()))
        item["scores"] = scores.get(row[0], {})
        items.append(item)
    next_cursor = encode_cursor(_utc(page[-1][1]), page[-1][0]) if len(rows) > limit else None
    return items, next_cursor


def _trace(row: Sequence[Any]) -> dict[str, Any]:
    item = dict(zip(TRACE_COLUMNS, row, strict=True))
    for name in _BLANK_IS_NONE:
        item[name] = item[name] or None
    item["id"] = wire_trace_id(item["id"])
    item["timestamp"] = _utc(item["timestamp"])
    item["tags"] = list(item["tags"])
    item["metadata"] = _json(item["metadata"])
    return item


def _empty_totals() -> dict[str, Any]:
    return {
        "observation_count": 0, "input_tokens": 0, "output_tokens": 0, "total_tokens": 0, "total_cost": None,
        "saved_cost": Decimal(0), "unpriced_count": 0, "not_billed_count": 0, "error_count": 0, "latency_s": None,
    }  # fmt: skip


def trace_totals(runner: Runner, project_id: int, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Totals and latency per trace key, by the rules of `aggregates.totals_from_row`."""
    if not keys:
        return {}
    result = runner.client.query(
        f"SELECT o.trace_id AS trace_key, {_TOTALS} FROM {runner.table('observations')} AS o FINAL"
        " WHERE o.project_id = {project:UInt32} AND o.trace_id IN {keys:Array(String)} GROUP BY o.trace_id",
        parameters={"project": project_id, "keys": list(keys)},
    )
    found = {}
    for raw in result.result_rows:
        row = dict(zip(result.column_names, raw, strict=True))
        unpriced, not_billed = int(row["unpriced_count"]), int(row["not_billed_count"])
        cost = row["total_cost"] if row["priced"] else None
        saved = row["saved_cost"] if row["saved"] else None
        if cost is None and not_billed and not unpriced:
            cost = Decimal(0)
        if saved is None and not not_billed:
            saved = Decimal(0)
        first, last = row["first_start"], row["last_end"]
        found[row["trace_key"]] = {
            "observation_count": int(row["observation_count"]), "input_tokens": int(row["input_tokens"]),
            "output_tokens": int(row["output_tokens"]), "total_tokens": int(row["total_tokens"]),
            "total_cost": cost, "saved_cost": saved, "unpriced_count": unpriced, "not_billed_count": not_billed,
            "error_count": int(row["error_count"]),
            "latency_s": (last - first).total_seconds() if first is not None and last is not None else None,
        }  # fmt: skip
    return found


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


def get_trace(runner: Runner, project_id: int, trace_id: str) -> dict[str, Any]:
    """One trace with its observations as a tree (children by start time) and its scores; raises
    NotFoundError if the trace is not in this project."""
    keys = list(candidate_keys(project_id, trace_id))
    params = {"project": project_id, "keys": keys}
    rows = runner.rows(
        f"SELECT {', '.join(TRACE_COLUMNS)}, root_observation_id FROM {runner.table('traces')} FINAL"
        " WHERE project_id = {project:UInt32} AND id IN {keys:Array(String)} LIMIT 1",
        params,
    )
    if not rows:
        raise NotFoundError(f"trace {trace_id} not found")
    key = rows[0][0]
    trace = _trace(rows[0][:-1])
    trace["root_observation_id"] = rows[0][-1] or None
    trace.update(trace_totals(runner, project_id, [key]).get(key, _empty_totals()))
    spans = runner.rows(
        f"SELECT {', '.join(OBSERVATION_COLUMNS)}, input, output, attributes FROM {runner.table('observations')}"
        " FINAL WHERE project_id = {project:UInt32} AND trace_id = {key:String} ORDER BY start_time, id",
        {"project": project_id, "key": key},
    )
    nodes: dict[str, dict[str, Any]] = {}
    for span in spans:
        node = _observation(span)
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
    trace["scores"] = [_score(score) | {"trace_id": trace["id"]} for score in scores]
    return trace


def list_observations(
    runner: Runner, project_id: int, filters: ObservationFilter, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Observations newest first, without their payloads; (page, next cursor or None)."""
    params = Params(project=project_id)
    where = ["project_id = {project:UInt32}"]
    if filters.start is not None:
        where.append(f"start_time >= fromUnixTimestamp64Micro({params.add(micros(filters.start), 'Int64')}, 'UTC')")
    if filters.end is not None:
        where.append(f"start_time < fromUnixTimestamp64Micro({params.add(micros(filters.end), 'Int64')}, 'UTC')")
    for column, value in (("type", filters.type), ("model", filters.model), ("name", filters.name)):
        if value is not None:
            where.append(f"{column} = {params.add(value, 'String')}")
    if filters.trace_id is not None:  # a wire id: its keys within this project (storage.trace_keys)
        where.append(f"trace_id IN {params.add(list(candidate_keys(project_id, filters.trace_id)), 'Array(String)')}")
    if filters.level is not None:
        where.append(f"level = {params.add(filters.level.upper(), 'String')}")
    if cursor is not None:
        when, ident = decode_time_cursor(cursor)
        moment = f"fromUnixTimestamp64Micro({params.add(micros(when), 'Int64')}, 'UTC')"
        where.append(f"(start_time < {moment} OR (start_time = {moment} AND id < {params.add(ident, 'String')}))")
    rows = runner.rows(
        f"SELECT {', '.join(OBSERVATION_COLUMNS)} FROM {runner.table('observations')} FINAL"
        f" WHERE {' AND '.join(where)} ORDER BY start_time DESC, id DESC LIMIT {int(limit) + 1}",
        params,
    )
    page = [_observation(row, payloads=False) for row in rows[:limit]]
    next_cursor = encode_cursor(page[-1]["start_time"], page[-1]["id"]) if len(rows) > limit else None
    return page, next_cursor


def _observation(span: Sequence[Any], *, payloads: bool = True) -> dict[str, Any]:
    names = (*OBSERVATION_COLUMNS, "input", "output", "attributes") if payloads else OBSERVATION_COLUMNS
    node = dict(zip(names, span, strict=True))
    for name in _OBSERVATION_TEXT:
        node[name] = node[name] or None
    for name in _JSON:
        node[name] = _json(node[name])
    for name in ("start_time", "end_time", "completion_start_time"):
        node[name] = _utc(node[name])
    node["trace_id"] = wire_trace_id(node["trace_id"])
    start, end, first = node["start_time"], node["end_time"], node["completion_start_time"]
    node["latency_s"] = (end - start).total_seconds() if end is not None else None
    node["time_to_first_token_s"] = (first - start).total_seconds() if first is not None else None
    if payloads:
        for name in ("input", "output", "attributes"):
            node[name] = _json(node[name])
        node["children"] = []
    return node


def _score(row: Sequence[Any]) -> dict[str, Any]:
    score = dict(zip(SCORE_COLUMNS, row, strict=True))
    for name in _SCORE_TEXT:
        score[name] = score[name] or None
    score["metadata"] = _json(score["metadata"])
    score["timestamp"] = _utc(score["timestamp"])
    return score
