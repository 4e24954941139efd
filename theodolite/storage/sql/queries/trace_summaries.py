"""Per-trace cost, latency, score means and categories for a list of trace ids (an experiment's runs).

Read from the rows themselves (observations and scores), not from the writer's derived
`trace_totals` / `trace_scores`, so the answer does not wait for SQLite's derivation after a commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.sql.queries.aggregates import ID_CHUNK, trace_totals
from theodolite.storage.trace_keys import candidate_keys

t = tables.traces
s = tables.scores


def trace_summaries(database: Database, project_id: int, trace_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """{wire trace id: {"total_cost", "latency_s", "scores": {name: mean of numeric and boolean
    values}, "categories": {name: label}}} for the traces of `trace_ids` this project has (unknown
    ids are left out). A name's label is that of its trace's latest CATEGORICAL score. Blocks."""
    wire_of = {key: wire for wire in dict.fromkeys(trace_ids) for key in candidate_keys(project_id, wire)}
    keys = list(wire_of)
    found: dict[str, dict[str, Any]] = {}
    with database.connect() as conn:
        stored: list[str] = []
        for start in range(0, len(keys), ID_CHUNK):
            chunk = keys[start : start + ID_CHUNK]
            stored += conn.execute(select(t.c.id).where(t.c.project_id == project_id, t.c.id.in_(chunk))).scalars()
        totals = trace_totals(conn, project_id, stored)
        for key in stored:
            row = totals.get(key, {})
            found[wire_of[key]] = {"total_cost": row.get("total_cost"), "latency_s": row.get("latency_s"), "scores": {},
                                     "categories": {}}  # fmt: skip
        for start in range(0, len(keys), ID_CHUNK):  # scores sent before their trace wait under the wire id
            chunk = keys[start : start + ID_CHUNK]
            query = (
                select(s.c.trace_id, s.c.name, func.avg(s.c.value))
                .where(s.c.project_id == project_id, s.c.trace_id.in_(chunk), s.c.value.is_not(None))
                .group_by(s.c.trace_id, s.c.name)
            )
            for key, name, value in conn.execute(query):
                summary = found.get(wire_of[key])
                if summary is not None:
                    summary["scores"][name] = float(value)
            labels = (
                select(s.c.trace_id, s.c.name, s.c.string_value)
                .where(s.c.project_id == project_id, s.c.trace_id.in_(chunk), s.c.data_type == "CATEGORICAL",
                       s.c.string_value.is_not(None))
                .order_by(s.c.timestamp, s.c.id)
            )  # fmt: skip
            for key, name, label in conn.execute(labels):  # in time order: the latest label stays
                summary = found.get(wire_of[key])
                if summary is not None:
                    summary["categories"][name] = label
    return found
