"""Per-trace cost, latency, score means and categories for a list of trace ids (an experiment's runs), on
ClickHouse: the same answer as `storage/sql/queries/trace_summaries.py`, from the same rows
(observations and scores, FINAL), by the totals' rules of `traces.trace_totals`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from theodolite.storage.clickhouse.queries.sql import Runner
from theodolite.storage.clickhouse.queries.traces import score_means, trace_totals
from theodolite.storage.trace_keys import candidate_keys

ID_CHUNK = 1000


def trace_summaries(runner: Runner, project_id: int, trace_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """{wire trace id: {"total_cost", "latency_s", "scores": {name: mean}, "categories": {name:
    label of the latest CATEGORICAL score}}} for the traces of `trace_ids` this project has
    (unknown ids are left out)."""
    wire_of = {key: wire for wire in dict.fromkeys(trace_ids) for key in candidate_keys(project_id, wire)}
    keys = list(wire_of)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), ID_CHUNK):
        chunk = keys[start : start + ID_CHUNK]
        stored = [
            row[0]
            for row in runner.rows(
                f"SELECT DISTINCT id FROM {runner.table('traces')} FINAL"
                " WHERE project_id = {project:UInt32} AND id IN {keys:Array(String)}",
                {"project": project_id, "keys": chunk},
            )
        ]
        totals = trace_totals(runner, project_id, stored)
        for key in stored:
            row = totals.get(key, {})
            found[wire_of[key]] = {"total_cost": row.get("total_cost"), "latency_s": row.get("latency_s"), "scores": {},
                                     "categories": {}}  # fmt: skip
        for key, means in score_means(runner, project_id, chunk).items():
            summary = found.get(wire_of[key])
            if summary is not None:
                summary["scores"].update({name: float(value) for name, value in means.items()})
        labels = runner.rows(
            f"SELECT trace_id, name, argMax(string_value, (timestamp, id)) FROM {runner.table('scores')} FINAL"
            " WHERE project_id = {project:UInt32} AND trace_id IN {keys:Array(String)}"
            " AND data_type = 'CATEGORICAL' GROUP BY trace_id, name",
            {"project": project_id, "keys": chunk},
        )
        for key, name, label in labels:
            summary = found.get(wire_of[key])
            if summary is not None:
                summary["categories"][name] = label
    return found
