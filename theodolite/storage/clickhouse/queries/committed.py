"""What was committed after a position, in commit order, on ClickHouse: the feed of the online
evaluators. The position is `row_version`, the ingest time in nanoseconds a writer gives the rows of
a commit just before inserting them (the minmax skip index on it serves the range); a row replaced
by a later version shows again at its new version."""

from __future__ import annotations

import time
from typing import Any

from theodolite.storage.clickhouse.queries.sql import Runner
from theodolite.storage.trace_keys import wire_trace_id

# A commit's version is its writer's clock just before its inserts: one in flight may show a little
# after a later read. A read "up to now" stops this far back, so that such a commit is not passed.
VISIBLE_WITHIN_NS = 5_000_000_000


def commit_position() -> int:
    """A row_version every later commit exceeds and every earlier one has shown by (clocks in step)."""
    return time.time_ns() - VISIBLE_WITHIN_NS


def committed_observations(runner: Runner, project_id: int, after: int, *, limit: int) -> list[dict[str, Any]]:
    rows = runner.rows(
        f"SELECT row_version, trace_id, id, environment FROM {runner.table('observations')} "
        "WHERE project_id = {project:UInt32} AND row_version > {after:UInt64} AND sign = 1 "
        "ORDER BY row_version, trace_id, id LIMIT {limit:UInt32}",
        {"project": project_id, "after": after, "limit": limit},
    )
    return [
        {"position": int(version), "trace_id": wire_trace_id(trace_id), "observation_id": span_id,
         "environment": environment or None}
        for version, trace_id, span_id, environment in rows
    ]  # fmt: skip
