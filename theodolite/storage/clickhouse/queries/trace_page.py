"""The web UI's trace page on ClickHouse, as `storage/sql/queries/trace_page.py` answers it: the
skeleton of a trace (its observations as columns, without payloads), one observation's details, and
the search within one trace. The rows are shaped by `query/trace_page.py`, as on SQL.

Each read is of one trace: its observations are a range of the (project, day, trace, id) key, found
through the `trace_id` skip index, with FINAL (one row per span, its newest version). The search
reads that trace's first `max_observations` payloads and matches their decoded strings in Python,
case-folded as on SQL: a substring test on the stored JSON text would miss escaped characters and
match keys' quoting, so it would not be SQL's answer.
"""

from __future__ import annotations

from typing import Any

from theodolite.errors import NotFoundError
from theodolite.query.trace_page import matches, skeleton, skeleton_totals, transpose
from theodolite.storage.clickhouse.queries.sql import Runner
from theodolite.storage.clickhouse.queries.traces import (
    EMPTY_TOTALS,
    OBSERVATION_COLUMNS,
    SCORE_COLUMNS,
    find_trace,
    json_value,
    observation_item,
    score_item,
    score_means,
    trace_totals,
)
from theodolite.storage.trace_keys import candidate_keys

# `query.trace_page.SKELETON_NAMES`, read from `observations` (absent text is '' there).
_SKELETON = (
    "id, nullIf(parent_observation_id, ''), type, nullIf(name, ''), start_time, end_time, level, nullIf(model, ''),"
    " prompt_tokens, completion_tokens, total_tokens, toFloat64(coalesce(calculated_total_cost, total_cost)),"
    " cost_status, toFloat64(saved_cost)"
)
_ONE_TRACE = "project_id = {project:UInt32} AND trace_id = {key:String}"


def trace_skeleton(runner: Runner, project_id: int, trace_id: str, *, max_observations: int) -> dict[str, Any]:
    """See `storage/sql/queries/trace_page.trace_skeleton`."""
    key, trace = find_trace(runner, project_id, trace_id)
    params = {"project": project_id, "key": key}
    observations = runner.table("observations")
    total = runner.rows(f"SELECT count() FROM {observations} FINAL WHERE {_ONE_TRACE}", params)[0][0]
    rows = runner.rows(
        f"SELECT {_SKELETON} FROM {observations} FINAL WHERE {_ONE_TRACE} ORDER BY start_time, id"
        f" LIMIT {int(max_observations)}",
        params,
    )
    raw = transpose(rows)
    if total <= max_observations:  # its totals without reading the trace again
        totals = skeleton_totals(raw)
    else:
        totals = trace_totals(runner, project_id, [key]).get(key, EMPTY_TOTALS)
    keys = {"project": project_id, "keys": list(candidate_keys(project_id, trace_id))}
    trace["score_count"] = runner.rows(
        f"SELECT count() FROM {runner.table('scores')} FINAL"
        " WHERE project_id = {project:UInt32} AND trace_id IN {keys:Array(String)}",
        keys,
    )[0][0]
    trace["scores"] = score_means(runner, project_id, [key]).get(key, {})
    return skeleton(trace, raw, totals, max_observations)


def observation_detail(runner: Runner, project_id: int, trace_id: str, observation_id: str) -> dict[str, Any]:
    """One observation with its input, output, attributes and scores; NotFoundError when the trace is
    not in this project or has no such observation."""
    key, _ = find_trace(runner, project_id, trace_id)
    params = {"project": project_id, "key": key, "id": observation_id}
    rows = runner.rows(
        f"SELECT {', '.join(OBSERVATION_COLUMNS)}, input, output, attributes FROM {runner.table('observations')}"
        f" FINAL WHERE {_ONE_TRACE} AND id = {{id:String}} LIMIT 1",
        params,
    )
    if not rows:
        raise NotFoundError(f"trace {trace_id} has no observation {observation_id}")
    item = observation_item(rows[0])
    del item["children"]
    scores = runner.rows(
        f"SELECT {', '.join(SCORE_COLUMNS)} FROM {runner.table('scores')} FINAL"
        " WHERE project_id = {project:UInt32} AND trace_id IN {keys:Array(String)} AND observation_id = {id:String}"
        " ORDER BY timestamp",
        {"project": project_id, "keys": list(candidate_keys(project_id, trace_id)), "id": observation_id},
    )
    item["scores"] = [score_item(score) | {"trace_id": item["trace_id"]} for score in scores]
    return item


def search_trace(runner: Runner, project_id: int, trace_id: str, text: str, *, max_observations: int) -> dict[str, Any]:
    """Ids of the trace's observations whose name, input or output contains `text` (case-insensitive,
    Unicode case folding), in start order, among its first `max_observations`."""
    key, _ = find_trace(runner, project_id, trace_id)
    needle = text.casefold()
    rows = runner.rows(
        f"SELECT id, name, input, output FROM {runner.table('observations')} FINAL WHERE {_ONE_TRACE}"
        f" ORDER BY start_time, id LIMIT {int(max_observations)}",
        {"project": project_id, "key": key},
    )
    found = [
        ident
        for ident, name, given, answer in rows
        if matches(needle, name or None, {"input": json_value(given), "output": json_value(answer)})
    ]
    return {"ids": found, "scanned": len(rows)}
