"""The parameters of an aggregate over time (`MetricQuery`) and its time buckets.

Buckets are UTC multiples of the interval (a day starts at 00:00 UTC), so that a bucket read from
hour rollups and one summed from raw rows are the same bucket; the range is widened to whole
minutes, the rollups' finest grain.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from theodolite.errors import BadRequestError
from theodolite.model.rollup_cells import DIMENSIONS

MEASURES = (
    "trace_count", "observation_count", "cost", "input_tokens", "output_tokens", "total_tokens", "latency", "ttft",
    "score", "error_rate",
)  # fmt: skip
AGGREGATIONS = ("count", "sum", "avg", "min", "max", "p50", "p95", "p99")
QUANTILES = {"min": 0.0, "p50": 0.5, "p95": 0.95, "p99": 0.99, "max": 1.0}
# The histogram each measure's percentiles, min and max are read from (none: not offered).
MEASURE_HISTOGRAM = {"latency": "h_latency", "ttft": "h_ttft", "cost": "h_cost", "total_tokens": "h_tokens",
                     "score": "h_value"}  # fmt: skip
AUTO_INTERVALS_S = (60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400)
AUTO_MAX_BUCKETS = 150
MAX_BUCKETS = 20_000
MAX_GROUP_BY = 2
# The dimensions each scope's raw rows carry. An observation has its trace's user, session,
# release and tags; a trace has no type, provider or source (its observations do).
SCOPE_DIMENSIONS = {
    "observations": frozenset(DIMENSIONS),
    "traces": frozenset({"name", "release", "version", "environment", "level", "user", "session", "tag", "model"}),
    "scores": frozenset({"name", "source", "type", "user", "session", "tag"}),
}
_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d|w)$")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
NO_FILTER = frozenset({"", "$__all", "*", "All", "all"})


@dataclass(frozen=True)
class MetricQuery:
    project_id: int
    measure: str
    aggregation: str
    scope: str
    group_by: tuple[str, ...]
    start_s: int  # whole minutes, inclusive
    end_s: int  # whole minutes, exclusive
    interval_s: int | None  # None: one total per group
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fill_zero: bool = False

    def buckets(self) -> range:
        step = self.interval_s or (self.end_s - self.start_s) or 60
        first = self.start_s if self.interval_s is None else self.start_s - self.start_s % step
        return range(first, self.end_s, step)

    def bucket_of(self, epoch_s: float) -> int:
        if self.interval_s is None:
            return self.start_s
        second = int(epoch_s)
        return second - second % self.interval_s


def scope_of(measure: str, scope: str | None) -> str:
    if measure == "trace_count":
        return "traces"
    if measure == "observation_count":
        return "observations"
    if measure == "score":
        return "scores"
    if scope is None:
        return "observations"
    if scope not in ("observations", "traces"):
        raise BadRequestError(f"scope must be observations or traces, not {scope!r}")
    if measure == "ttft" and scope == "traces":
        raise BadRequestError("ttft is a measure of observations (a trace has no first token): use scope=observations")
    return scope


def make_metric_query(
    project_id: int,
    *,
    measure: str,
    aggregation: str | None,
    scope: str | None,
    group_by: list[str],
    start: datetime,
    end: datetime,
    interval: str,
    filters: dict[str, tuple[str, ...]],
    fill: str,
) -> MetricQuery:
    """Validates the combination; raises BadRequestError naming what is wrong."""
    if measure not in MEASURES:
        raise BadRequestError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    if aggregation is None:
        aggregation = "count" if measure in ("trace_count", "observation_count") else "sum"
    if aggregation not in AGGREGATIONS:
        raise BadRequestError(f"aggregation must be one of {', '.join(AGGREGATIONS)}, not {aggregation!r}")
    if aggregation in QUANTILES and measure not in MEASURE_HISTOGRAM and measure != "error_rate":
        raise BadRequestError(
            f"{aggregation} of {measure} is not offered: percentiles, min and max exist for "
            f"{', '.join(MEASURE_HISTOGRAM)}"
        )
    the_scope = scope_of(measure, scope)
    groups = split_values(group_by)
    if len(groups) > MAX_GROUP_BY:
        raise BadRequestError(f"group_by takes at most {MAX_GROUP_BY} dimensions, got {', '.join(groups)}")
    if len(set(groups)) != len(groups):
        raise BadRequestError(f"group_by names a dimension twice: {', '.join(groups)}")
    allowed = SCOPE_DIMENSIONS[the_scope]
    if the_scope == "traces" and "model" in groups:
        raise BadRequestError(
            "traces cannot be grouped by model (a trace calls several): group observation_count, or another "
            "measure with scope=observations"
        )
    for name in [*groups, *filters]:
        if name not in DIMENSIONS:
            raise BadRequestError(f"unknown dimension {name!r}; choose from {', '.join(DIMENSIONS)}")
        if name not in allowed:
            raise BadRequestError(
                f"{the_scope} have no {name!r} dimension; with {the_scope} use {', '.join(sorted(allowed))}"
            )
    if fill not in ("none", "zero"):
        raise BadRequestError(f"fill must be none or zero, not {fill!r}")
    fill_zero = fill == "zero"
    if fill_zero and not (aggregation in ("count", "sum") or measure.endswith("_count")):
        raise BadRequestError("fill=zero is for count and sum: an empty bucket has no average or percentile")
    start_s = math.floor(start.timestamp() / 60) * 60
    end_s = math.ceil(end.timestamp() / 60) * 60
    if end_s <= start_s:
        end_s = start_s + 60
    interval_s = parse_interval(interval, end_s - start_s)
    if interval_s is not None and (end_s - start_s) / interval_s > MAX_BUCKETS:
        raise BadRequestError(
            f"{(end_s - start_s) // interval_s} buckets of {interval_s} s: at most {MAX_BUCKETS}; "
            "choose a longer interval or a shorter range"
        )
    return MetricQuery(
        project_id, measure, aggregation, the_scope, tuple(groups), start_s, end_s, interval_s, filters, fill_zero
    )


def parse_interval(text: str, range_s: int) -> int | None:
    """Seconds, whole minutes (the rollups' grain); None for `total`."""
    text = text.strip()
    if text == "total":
        return None
    if text in ("", "auto"):
        return next((s for s in AUTO_INTERVALS_S if range_s / s <= AUTO_MAX_BUCKETS), AUTO_INTERVALS_S[-1])
    if text.isdigit():
        seconds = int(text) / 1000  # Grafana's $__interval_ms
    else:
        match = _DURATION.match(text)
        if match is None:
            raise BadRequestError(
                f"interval must be auto, total, a duration such as 5m, 1h or 1d, or milliseconds; not {text!r}"
            )
        seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
    # Grafana computes $__interval from the panel's width: round it up to whole minutes.
    return max(60, math.ceil(seconds / 60) * 60)


def split_values(values: list[str]) -> list[str]:
    """Repeated parameters and comma-separated lists alike; Grafana's "All" values dropped."""
    found: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part not in NO_FILTER and part not in found:
                found.append(part)
    return found


def parse_time(text: str | None, default: datetime) -> datetime:
    """Epoch milliseconds (Infinity's ${__timeFrom}) or ISO 8601; naive ISO times are UTC."""
    if text is None or text.strip() == "":
        return default
    text = text.strip()
    try:
        if text.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError) as exc:
        raise BadRequestError(f"not a time: {text!r}; give epoch milliseconds or ISO 8601") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
