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

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from theodolite.model import GENERATION_LIKE
from theodolite.query.live_dashboard import LATENCY_BOUNDS_S, Bucket, Sums, assemble, merge_buckets
from theodolite.query.live_window import WINDOWS, LiveWindow
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.expressions import duration_seconds, time_bucket
from theodolite.storage.sql.queries.aggregates import observation_totals_columns

o = tables.observations


def latency_class(duration: ColumnElement[float], lo: int = 0, hi: int = len(LATENCY_BOUNDS_S)) -> Any:
    """The class index of `duration` as a nested CASE: a binary search, ~7 comparisons per row
    (a flat CASE would test ~50); portable, where log() is missing from some SQLite builds."""
    if lo == hi:
        return lo
    mid = (lo + hi) // 2
    return case((duration < LATENCY_BOUNDS_S[mid], latency_class(duration, lo, mid)),
                else_=latency_class(duration, mid + 1, hi))  # fmt: skip


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
        sums = buckets.setdefault(int(row.bucket), Bucket()).models.setdefault(row.model, Sums())
        sums.add(row)
    for row in conn.execute(by_latency.group_by(bucket, latency)):
        classes = buckets.setdefault(int(row.bucket), Bucket()).latencies
        classes[int(row.latency_class)] = classes.get(int(row.latency_class), 0) + int(row.n)
    return buckets


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
