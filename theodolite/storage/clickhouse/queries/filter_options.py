"""The values a filter of the trace list can take on ClickHouse (trace names, models, environments
and releases seen in a time range), as `storage/sql/queries/filter_options.py` answers them: at most
`limit` per field, in alphabetical (byte) order, `truncated` naming the fields that had more.

Each is a DISTINCT over the project's rows in the range (FINAL: a value only an older version of a
row had is not offered); the columns are `LowCardinality`, so this reads dictionaries, not text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from theodolite.storage.clickhouse.queries.sql import Params, Runner

# field -> (table, column, the table's time column)
FIELDS = {
    "names": ("traces", "name", "timestamp"),
    "environments": ("traces", "environment", "timestamp"),
    "releases": ("traces", "release", "timestamp"),
    "models": ("observations", "model", "start_time"),
}


def list_trace_filter_options(
    runner: Runner, project_id: int, *, start: datetime | None, end: datetime | None, limit: int
) -> dict[str, Any]:
    result: dict[str, Any] = {"truncated": []}
    for field, (table, column, time) in FIELDS.items():
        params = Params(project=project_id)
        where = ["project_id = {project:UInt32}", f"{column} != ''", *params.time_range(time, start, end)]
        values = [
            row[0]
            for row in runner.rows(
                f"SELECT DISTINCT toString({column}) AS value FROM {runner.table(table)} FINAL"
                f" WHERE {' AND '.join(where)} ORDER BY value LIMIT {int(limit) + 1}",
                params,
            )
        ]
        if len(values) > limit:
            result["truncated"].append(field)
        result[field] = values[:limit]
    return result
