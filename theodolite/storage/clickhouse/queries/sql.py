"""Pieces of ClickHouse SQL the reads share: the expressions that count a span, a trace and a score
the way `model/rollup_cells.py` counts them, time bounds, filters, and the query runner.

Every read of the raw tables is right before merges: `FINAL` on the ReplacingMergeTree tables (one
row per key, its newest version; cancelled keys dropped), `GROUP BY` over `trace_totals` and sums
over the rollups (their rows are merged only some time after the inserts). Parameters are bound by
the server (`{name:Type}`), never pasted into the text.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from theodolite.model.rollup_cells import LEVELS

# How `rollup_cells.count_observation` counts one observation row (table alias `o`).
PRICED_COST = "if(o.cost_status != 'not_billed', coalesce(o.calculated_total_cost, o.total_cost), NULL)"
LATENCY_MS = "if(o.end_time IS NULL, NULL, greatest(0, dateDiff('microsecond', o.start_time, o.end_time) / 1000))"
TTFT_MS = (
    "if(o.completion_start_time IS NULL, NULL,"
    " greatest(0, dateDiff('microsecond', o.start_time, o.completion_start_time) / 1000))"
)
OBSERVATION_SUMS = {
    "n": "count()",
    "errors": "countIf(o.level = 'ERROR')",
    "input_tokens": "sum(ifNull(o.prompt_tokens, 0))",
    "output_tokens": "sum(ifNull(o.completion_tokens, 0))",
    "total_tokens": "sum(ifNull(o.total_tokens, 0))",
    "cost": f"sum(ifNull({PRICED_COST}, 0))",
    "priced": f"countIf({PRICED_COST} IS NOT NULL)",
    "unpriced": "countIf(o.cost_status = 'unpriced')",
    "latency_sum": f"sum(ifNull({LATENCY_MS}, 0))",
    "latency_n": "countIf(o.end_time IS NOT NULL)",
    "ttft_sum": f"sum(ifNull({TTFT_MS}, 0))",
    "ttft_n": "countIf(o.completion_start_time IS NOT NULL)",
}
# The value each observation measure's percentile is taken of (NULL: not counted).
OBSERVATION_VALUES = {"latency": LATENCY_MS, "ttft": TTFT_MS, "cost": PRICED_COST, "total_tokens": "o.total_tokens"}

# How `rollup_cells.count_trace` counts one trace from its totals (alias `tt`, merged per trace).
TRACE_LATENCY_MS = (
    "if(tt.last_end IS NULL, NULL, greatest(0, dateDiff('microsecond', tt.first_start, tt.last_end) / 1000))"
)
TRACE_COST = "if(tt.priced_count > 0, tt.total_cost, NULL)"
TRACE_SUMS = {
    "n": "count()",
    "errors": "countIf(tt.error_count > 0)",
    "input_tokens": "sum(tt.input_tokens)",
    "output_tokens": "sum(tt.output_tokens)",
    "total_tokens": "sum(tt.total_tokens)",
    "cost": f"sum(ifNull({TRACE_COST}, 0))",
    "priced": "countIf(tt.priced_count > 0)",
    "unpriced": "countIf(tt.unpriced_count > 0)",
    "latency_sum": f"sum(ifNull({TRACE_LATENCY_MS}, 0))",
    "latency_n": "countIf(tt.last_end IS NOT NULL)",
}
TRACE_VALUES = {"latency": TRACE_LATENCY_MS, "cost": TRACE_COST, "total_tokens": "tt.total_tokens"}
# A trace's level from its worst observation's rank (`LEVELS` indexes it, as `level_name` reads it).
TRACE_LEVEL = f"[{', '.join(repr(level) for level in LEVELS)}][tt.level_rank + 1]"

SCORE_SUMS = {"n": "count()", "value_sum": "sum(ifNull(s.value, 0))", "value_n": "count(s.value)"}
SCORE_VALUES = {"score": "s.value"}


def micros(moment: datetime | int | float) -> int:
    """A time as the `Int64` microseconds the bounds are bound as (`since(...)`)."""
    seconds = moment.timestamp() if isinstance(moment, datetime) else moment
    return round(seconds * 1_000_000)


def in_range(column: str, start: str = "start_us", end: str = "end_us") -> str:
    """`start <= column < end`, the bounds bound as Int64 microseconds."""
    return (
        f"{column} >= fromUnixTimestamp64Micro({{{start}:Int64}}, 'UTC') "
        f"AND {column} < fromUnixTimestamp64Micro({{{end}:Int64}}, 'UTC')"
    )


class Params:
    """Values bound to a statement, named p0, p1, ... as they are added."""

    def __init__(self, **given: Any) -> None:
        self.values: dict[str, Any] = dict(given)

    def add(self, value: Any, kind: str) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"{{{name}:{kind}}}"

    def moment(self, value: datetime) -> str:
        """A time bound as Int64 microseconds, as a DateTime64 expression."""
        return f"fromUnixTimestamp64Micro({self.add(micros(value), 'Int64')}, 'UTC')"

    def time_range(self, column: str, start: datetime | None, end: datetime | None) -> list[str]:
        """`start <= column < end`, either bound optional."""
        bounds = [f"{column} >= {self.moment(start)}"] if start is not None else []
        return bounds + ([f"{column} < {self.moment(end)}"] if end is not None else [])

    def one_of(self, column: str, values: tuple[str, ...]) -> str:
        return f"{column} IN {self.add(list(values), 'Array(String)')}"


def finite(value: Any) -> float | None:
    """A percentile's value; an empty sketch reads as nan: no value."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


class Runner:
    """A clickhouse-connect client and the database the store's tables are in."""

    def __init__(self, client: Any, database: str) -> None:
        self.client = client
        self.database = database

    def table(self, name: str) -> str:
        return f"`{self.database}`.`{name}`"

    def rows(self, statement: str, params: Params | dict[str, Any]) -> list[tuple[Any, ...]]:
        values = params.values if isinstance(params, Params) else params
        return self.client.query(statement, parameters=values).result_rows
