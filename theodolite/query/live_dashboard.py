"""The live dashboard's answer, engine-neutral: latency classes (16 per decade, 1 ms to 1,000 s),
per-bucket sums per model, and how a window's buckets become the API's rates and series. Stores
read the buckets (`storage/sql/queries/live.py`, `storage/clickhouse/queries/live.py`).

Cost follows the product's rules (`totals_from_row`): unpriced calls are counted apart, never as
$0; cache hits and fallbacks (status not_billed) are a known $0, counted apart. p95 latency is
estimated from the histogram of classes, linear inside a class (within 15.5 % of the exact value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from theodolite.query.live_window import LiveWindow
from theodolite.query.totals import totals_from_row

CLASSES_PER_DECADE = 16
# Upper bounds of the latency classes: class i holds LATENCY_BOUNDS_S[i-1] <= d < LATENCY_BOUNDS_S[i];
# class 0 is below 1 ms, the last class is 1,000 s and more.
LATENCY_BOUNDS_S = tuple(0.001 * 10 ** (i / CLASSES_PER_DECADE) for i in range(6 * CLASSES_PER_DECADE + 1))
OTHER_MODELS = "(other)"
NO_MODEL = "(no model)"
MAX_MODELS = 8  # the model mix names the busiest; the rest are summed as "(other)"


def class_bounds(index: int) -> tuple[float, float]:
    """[lower, upper) seconds of a latency class (the last one's upper bound is infinite)."""
    lower = 0.0 if index == 0 else LATENCY_BOUNDS_S[index - 1]
    upper = LATENCY_BOUNDS_S[index] if index < len(LATENCY_BOUNDS_S) else math.inf
    return lower, upper


def quantile_from_classes(counts: dict[int, int], q: float) -> float | None:
    """The q-quantile of a latency histogram, linear inside the class that holds it (None: empty)."""
    total = sum(counts.values())
    if total == 0:
        return None
    rank, seen = q * total, 0
    for index in sorted(counts):
        count = counts[index]
        if count and seen + count >= rank:
            lower, upper = class_bounds(index)
            if math.isinf(upper):
                return lower
            return lower + (upper - lower) * (rank - seen) / count
        seen += count
    return class_bounds(max(counts))[0]


SUMMED = ("observation_count", "input_tokens", "output_tokens", "total_tokens", "total_cost", "saved_cost",
           "unpriced_count", "not_billed_count", "error_count", "busy_s", "unfinished")  # fmt: skip


class Sums:
    """Sums of grouped rows, kept as the aggregate columns so that `totals_from_row` applies the
    cost rules to any merge of them."""

    __slots__ = SUMMED

    def __init__(self) -> None:
        for name in SUMMED:
            setattr(self, name, None if name in ("total_cost", "saved_cost") else 0)

    def add(self, row: Any) -> None:
        for name in SUMMED:
            value = getattr(row, name)
            if value is None:
                continue
            if name in ("total_cost", "saved_cost"):
                current = getattr(self, name)
                value = Decimal(str(value))
                setattr(self, name, value if current is None else current + value)
            else:
                setattr(self, name, getattr(self, name) + value)


@dataclass(slots=True)
class Bucket:
    """One time bucket: sums per model, and a latency histogram (class index -> calls)."""

    models: dict[str | None, Sums] = field(default_factory=dict)
    latencies: dict[int, int] = field(default_factory=dict)


def merge_buckets(into: dict[int, Bucket], more: dict[int, Bucket]) -> None:
    for index, bucket in more.items():
        target = into.setdefault(index, Bucket())
        for model, sums in bucket.models.items():
            target.models.setdefault(model, Sums()).add(sums)
        for latency, count in bucket.latencies.items():
            target.latencies[latency] = target.latencies.get(latency, 0) + count


def _rates(sums: Sums, latencies: dict[int, int], seconds: float) -> dict[str, Any]:
    totals = totals_from_row(sums)
    calls = totals["observation_count"]
    cost = totals["total_cost"]
    per_s = 1 / seconds if seconds > 0 else 0.0
    return {
        "calls": calls,
        "completions_per_min": calls * per_s * 60,
        "input_tokens": totals["input_tokens"],
        "output_tokens": totals["output_tokens"],
        "tokens_per_s": (totals["input_tokens"] + totals["output_tokens"]) * per_s,
        "cost": None if cost is None else float(cost),
        "cost_per_hour": None if cost is None else float(cost) * per_s * 3600,
        "saved": None if totals["saved_cost"] is None else float(totals["saved_cost"]),
        "unpriced_calls": totals["unpriced_count"],
        "not_billed_calls": totals["not_billed_count"],
        "errors": totals["error_count"],
        "error_rate": totals["error_count"] / calls if calls else None,
        "p95_latency_s": quantile_from_classes(latencies, 0.95),
        "active_requests": float(sums.busy_s or 0) * per_s,
        "unfinished_calls": int(sums.unfinished or 0),
    }


def assemble(window: LiveWindow, buckets: dict[int, Bucket]) -> dict[str, Any]:
    """The API's answer from the window's buckets (others in `buckets` are ignored)."""
    first, count = window.first_bucket, window.bucket_count
    total, total_latencies = Sums(), dict[int, int]()
    models: dict[str, Sums] = {}
    model_calls: dict[str, list[int]] = {}
    series: dict[str, list[Any]] = {"t": [(first + i) * window.step_s for i in range(count)]}
    for i in range(count):
        bucket = buckets.get(first + i) or Bucket()
        sums = Sums()
        for model, model_sums in bucket.models.items():
            sums.add(model_sums)
            name = model or NO_MODEL
            models.setdefault(name, Sums()).add(model_sums)
            model_calls.setdefault(name, [0] * count)[i] += int(model_sums.observation_count)
        total.add(sums)
        for latency, n in bucket.latencies.items():
            total_latencies[latency] = total_latencies.get(latency, 0) + n
        for key, value in _rates(sums, bucket.latencies, window.step_s).items():
            series.setdefault(key, []).append(value)
    ranked = sorted(models, key=lambda name: (-models[name].observation_count, name))
    mix = [{"model": name, **_rates(models[name], {}, window.elapsed_s)} for name in ranked]
    for entry in mix:
        del entry["p95_latency_s"]  # per model it would need a histogram per model
    model_series = {name: model_calls[name] for name in ranked[:MAX_MODELS]}
    if len(ranked) > MAX_MODELS:
        model_series[OTHER_MODELS] = [sum(model_calls[name][i] for name in ranked[MAX_MODELS:]) for i in range(count)]
    return {
        "window": window.name,
        "step_s": window.step_s,
        "from": window.start,
        "to": window.end,
        "now": window.now,
        "totals": _rates(total, total_latencies, window.elapsed_s),
        "buckets": series,
        "models": mix,
        "model_calls": model_series,
    }
