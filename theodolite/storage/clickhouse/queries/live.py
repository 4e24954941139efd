"""The live dashboard on ClickHouse: the window's calls (generations and embeddings) summed per
(bucket, model) and counted per latency class, in one pass over the observations of the window
(`FINAL`: a re-sent or updated call counts once), then assembled as on SQL
(`query/live_dashboard.py`). No cache between polls: the GROUP BY reads one day at most, in the
primary key's (project, day) range."""

from __future__ import annotations

from typing import Any

from theodolite.model import GENERATION_LIKE
from theodolite.query.live_dashboard import LATENCY_BOUNDS_S, Bucket, Sums, assemble
from theodolite.query.live_window import LiveWindow
from theodolite.storage.clickhouse.queries.sql import Runner, in_range, micros

CALL_TYPES = [kind.value for kind in GENERATION_LIKE]
NOT_BILLED = "not_billed"
SECONDS = "if(o.end_time IS NULL, NULL, greatest(0, dateDiff('microsecond', o.start_time, o.end_time) / 1e6))"
# The latency class as `storage/sql/queries/live.latency_class` gives it: the first bound above the
# duration (1-based here), else the last class.
LATENCY_CLASS = (
    f"if(arrayFirstIndex(b -> {SECONDS} < b, {{bounds:Array(Float64)}}) AS first = 0, {{classes:UInt32}}, first - 1)"
)


def read_live(runner: Runner, project_id: int, window: LiveWindow) -> dict[str, Any]:
    """The API's answer for the window. Blocks."""
    params = {
        "project": project_id,
        "types": CALL_TYPES,
        "step": window.step_s,
        "start_us": micros(window.start),
        "end_us": micros(window.end),
        "bounds": list(LATENCY_BOUNDS_S),
        "classes": len(LATENCY_BOUNDS_S),
    }
    scope = f"""FROM {runner.table("observations")} AS o FINAL
        WHERE o.project_id = {{project:UInt32}} AND o.type IN {{types:Array(String)}} AND {in_range("o.start_time")}"""
    bucket = "intDiv(toUnixTimestamp(o.start_time), {step:UInt32}) AS bucket"
    by_model = f"""
        SELECT {bucket}, o.model,
            count() AS observation_count,
            sum(ifNull(o.prompt_tokens, 0)) AS input_tokens,
            sum(ifNull(o.completion_tokens, 0)) AS output_tokens,
            sum(ifNull(o.total_tokens, 0)) AS total_tokens,
            sum(if(o.cost_status != '{NOT_BILLED}', coalesce(o.calculated_total_cost, o.total_cost), NULL))
                AS total_cost,
            sum(o.saved_cost) AS saved_cost,
            countIf(o.cost_status = 'unpriced') AS unpriced_count,
            countIf(o.cost_status = '{NOT_BILLED}') AS not_billed_count,
            countIf(o.level = 'ERROR') AS error_count,
            sum({SECONDS}) AS busy_s,
            countIf(o.end_time IS NULL) AS unfinished
        {scope}
        GROUP BY bucket, o.model"""
    by_latency = f"""
        SELECT {bucket}, {LATENCY_CLASS} AS latency_class, count() AS n
        {scope} AND o.end_time IS NOT NULL
        GROUP BY bucket, latency_class"""
    buckets: dict[int, Bucket] = {}
    names = ("observation_count", "input_tokens", "output_tokens", "total_tokens", "total_cost", "saved_cost",
             "unpriced_count", "not_billed_count", "error_count", "busy_s", "unfinished")  # fmt: skip
    for index, model, *values in runner.rows(by_model, params):
        sums = buckets.setdefault(int(index), Bucket()).models.setdefault(model or None, Sums())
        sums.add(_Row(dict(zip(names, values, strict=True))))
    for index, latency_class, count in runner.rows(by_latency, params):
        classes = buckets.setdefault(int(index), Bucket()).latencies
        classes[int(latency_class)] = classes.get(int(latency_class), 0) + int(count)
    return assemble(window, buckets)


class _Row:
    """A result row read by attribute, as `Sums.add` reads SQL rows."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
