"""The live dashboard (`GET /api/v1/live`): one project's LLM calls in the last 15 min / 1 h / 6 h /
24 h, in time buckets (1 minute up to 1 h, then 5 and 15 minutes so that a chart keeps < 100 points).

What is counted: generations and embeddings (the calls to a model), by their start time, read
through `ix_observations_project_start`. Two grouped reads over the same index range: one per
(bucket, model) for counts, tokens, cost and durations, one per (bucket, latency class) for the p95.
The database returns a few hundred rows whatever the traffic, so the cost is one pass over the
window's rows inside the engine.

- Cost follows the product's rules (`aggregates.observation_totals_columns` / `totals_from_row`):
  unpriced calls are counted apart, never as $0; cache hits and fallbacks (status not_billed) are a
  known $0, counted apart.
- p95 latency is estimated from a histogram of durations with 16 classes per decade (1 ms to
  1,000 s, linear inside a class, as Prometheus' histogram_quantile): the estimate lies in the same
  class as the exact value, so within 15.5 % of it. An exact percentile needs every duration of the
  window in one place (SQLite has no percentile function): at 24 h that is ~10^5 rows per poll.
- "Active requests" is the average number of calls in flight: the sum of the durations of the calls
  that started in a bucket divided by its length (Little's law: arrival rate x mean latency). It is
  known once calls end, because every client Theodolite ingests sends a span when it ends, and a
  stored span is never updated by a later copy: a call stored without an end time (a client that
  exported a span before ending it) is counted in `unfinished_calls` and left out of latencies.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from theodolite.model import GENERATION_LIKE
from theodolite.query.live_window import WINDOWS, LiveWindow
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.expressions import duration_seconds, time_bucket
from theodolite.storage.sql.queries.aggregates import observation_totals_columns, totals_from_row

o = tables.observations
CLASSES_PER_DECADE = 16
# Upper bounds of the latency classes: class i holds LATENCY_BOUNDS_S[i-1] <= d < LATENCY_BOUNDS_S[i];
# class 0 is below 1 ms, the last class is 1,000 s and more.
LATENCY_BOUNDS_S = tuple(0.001 * 10 ** (i / CLASSES_PER_DECADE) for i in range(6 * CLASSES_PER_DECADE + 1))
OTHER_MODELS = "(other)"
NO_MODEL = "(no model)"
MAX_MODELS = 8  # the model mix names the busiest; the rest are summed as "(other)"


def latency_class(duration: ColumnElement[float], lo: int = 0, hi: int = len(LATENCY_BOUNDS_S)) -> Any:
    """The class index of `duration` as a nested CASE: a binary search, ~7 comparisons per row
    (a flat CASE would test ~50); portable, where log() is missing from some SQLite builds."""
    if lo == hi:
        return lo
    mid = (lo + hi) // 2
    return case((duration < LATENCY_BOUNDS_S[mid], latency_class(duration, lo, mid)),
                else_=latency_class(duration, mid + 1, hi))  # fmt: skip


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


_SUMMED = ("observation_count", "input_tokens", "output_tokens", "total_tokens", "total_cost", "saved_cost",
           "unpriced_count", "not_billed_count", "error_count", "busy_s", "unfinished")  # fmt: skip


class _Sums:
    """Sums of grouped rows, kept as the aggregate columns so that `totals_from_row` applies the
    cost rules to any merge of them."""

    __slots__ = _SUMMED

    def __init__(self) -> None:
        for name in _SUMMED:
            setattr(self, name, None if name in ("total_cost", "saved_cost") else 0)

    def add(self, row: Any) -> None:
        for name in _SUMMED:
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

    models: dict[str | None, _Sums] = field(default_factory=dict)
    latencies: dict[int, int] = field(default_factory=dict)


def read_buckets(
    conn: Connection, dialect: str, project_id: int, step_s: int, start: datetime, *,
    end: datetime | None = None, seq_after: int | None = None, seq_upto: int | None = None,
) -> dict[int, Bucket]:  # fmt: skip
    """Buckets of the calls that started in [start, end), stored with seq in (seq_after, seq_upto]
    (seq grows with every commit: a range of it is the calls stored in between). Blocks."""
    bucket = time_bucket(o.c.start_time, step_s, dialect).label("bucket")
    duration = duration_seconds(o.c.start_time, o.c.end_time, dialect)
    scope = [o.c.start_time >= start, o.c.type.in_(_CALL_TYPES)]
    if end is not None:
        scope.append(o.c.start_time < end)
    if seq_after is None:
        scope.append(o.c.project_id == project_id)
    else:
        # The calls stored since: a range of the primary key. `project_id + 0` keeps the planner off
        # (project_id, start_time), which would read the whole window to find the few new rows.
        scope += [o.c.project_id + 0 == project_id, o.c.seq > seq_after]
    if seq_upto is not None:
        scope.append(o.c.seq <= seq_upto)
    by_model = (
        select(
            bucket,
            o.c.model,
            *observation_totals_columns(),
            func.sum(duration).label("busy_s"),
            func.sum(case((o.c.end_time.is_(None), 1), else_=0)).label("unfinished"),
        )
        .where(*scope)
        .group_by(bucket, o.c.model)
    )
    latency = latency_class(duration).label("latency_class")
    by_latency = select(bucket, latency, func.count().label("n")).where(*scope, o.c.end_time.is_not(None))
    buckets: dict[int, Bucket] = {}
    for row in conn.execute(by_model):
        sums = buckets.setdefault(int(row.bucket), Bucket()).models.setdefault(row.model, _Sums())
        sums.add(row)
    for row in conn.execute(by_latency.group_by(bucket, latency)):
        classes = buckets.setdefault(int(row.bucket), Bucket()).latencies
        classes[int(row.latency_class)] = classes.get(int(row.latency_class), 0) + int(row.n)
    return buckets


def merge_buckets(into: dict[int, Bucket], more: dict[int, Bucket]) -> None:
    for index, bucket in more.items():
        target = into.setdefault(index, Bucket())
        for model, sums in bucket.models.items():
            target.models.setdefault(model, _Sums()).add(sums)
        for latency, count in bucket.latencies.items():
            target.latencies[latency] = target.latencies.get(latency, 0) + count


_CALL_TYPES = [kind.value for kind in GENERATION_LIKE]


def get_live(database: Database, project_id: int, window: LiveWindow) -> dict[str, Any]:
    """The dashboard, read straight from the observations (no cache). Blocks."""
    with database.connect() as conn:
        buckets = read_buckets(conn, database.dialect_name, project_id, window.step_s, window.start, end=window.end)
    return assemble(window, buckets)


class LiveCache:
    """The buckets of each (project, step) for the longest window of that step, kept between polls.

    Observations are stored once (a re-sent span is ignored), each with a `seq` that grows with
    every commit; so a poll reads only the calls stored since the previous one (`seq` above the
    last seen: an index range, whatever the window) and adds them to their buckets: a late span
    lands in its own, older bucket. The one in-place change of stored calls is a re-pricing
    (`theodolite costs recompute`), so the buckets are read afresh every `rebuild_after_s`.
    Thread-safe: the API's worker threads share it.
    """

    def __init__(self, database: Database, rebuild_after_s: float = 600.0) -> None:
        self.database = database
        self.rebuild_after_s = rebuild_after_s
        self._entries: dict[tuple[int, int], _CacheEntry] = {}
        self._lock = threading.Lock()

    def get(self, project_id: int, window: LiveWindow) -> dict[str, Any]:
        """Blocks; one project's refresh at a time (others wait on its lock, not on the database)."""
        longest = max(length for length, step in WINDOWS.values() if step == window.step_s)
        with self._lock:
            entry = self._entries.setdefault((project_id, window.step_s), _CacheEntry())
        with entry.lock:
            # The span the longest window of this step needs now (and later calls: a clock ahead).
            start = datetime.fromtimestamp((window.last_bucket + 1) * window.step_s - longest, UTC)
            with self.database.connect() as conn:
                newest = conn.execute(select(func.coalesce(func.max(o.c.seq), 0))).scalar_one()
                dialect = self.database.dialect_name
                stale = time.monotonic() - entry.built_at > self.rebuild_after_s
                if entry.start is None or start < entry.start or stale:
                    entry.buckets = read_buckets(conn, dialect, project_id, window.step_s, start, seq_upto=newest)
                    entry.start, entry.built_at = start, time.monotonic()
                elif newest > entry.seq:
                    more = read_buckets(conn, dialect, project_id, window.step_s, entry.start,
                                        seq_after=entry.seq, seq_upto=newest)  # fmt: skip
                    merge_buckets(entry.buckets, more)
                entry.seq = newest
            first = int(start.timestamp()) // window.step_s
            for index in [index for index in entry.buckets if index < first]:
                del entry.buckets[index]
            entry.start = start
            return assemble(window, entry.buckets)


@dataclass(slots=True)
class _CacheEntry:
    start: datetime | None = None
    seq: int = 0
    built_at: float = 0.0
    buckets: dict[int, Bucket] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _rates(sums: _Sums, latencies: dict[int, int], seconds: float) -> dict[str, Any]:
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
    total, total_latencies = _Sums(), dict[int, int]()
    models: dict[str, _Sums] = {}
    model_calls: dict[str, list[int]] = {}
    series: dict[str, list[Any]] = {"t": [(first + i) * window.step_s for i in range(count)]}
    for i in range(count):
        bucket = buckets.get(first + i) or Bucket()
        sums = _Sums()
        for model, model_sums in bucket.models.items():
            sums.add(model_sums)
            name = model or NO_MODEL
            models.setdefault(name, _Sums()).add(model_sums)
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
