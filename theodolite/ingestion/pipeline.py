"""accept -> queue -> single writer -> commit -> acknowledge.

A request's batch is acknowledged only after the transaction holding it has committed. Requests
that arrive while the writer is busy wait together and are committed in one transaction (group
commit), which is what makes per-request durability affordable. The queue is bounded in spans:
when it is full, `submit` raises OverloadedError at once (the route answers 429 + Retry-After),
so memory stays bounded however fast clients send.

Work that follows the commits without being part of them (SQLite's search index: a `Follower`)
runs on the same thread, after the commits it follows and never before an acknowledgment: when
the writer has been idle for `follow_idle_s`, when a reader waits for it (`wait_followed`), or,
under sustained load, for the commits older than `follow_max_lag_s`. Each step is bounded and
commits alternate with due steps, so a commit waits for at most one step.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from theodolite.errors import OverloadedError, ShuttingDownError, TheodoliteError
from theodolite.model import Rejection

log = logging.getLogger(__name__)


class Work(Protocol):
    """What the pipeline queues: anything that knows its size in items (spans, scores, traces)."""

    def size(self) -> int: ...


class Follower(Protocol):
    """Work derived from committed data, done after the commit. Positions only grow."""

    def committed(self) -> int: ...  # the position that covers everything committed so far

    def followed(self) -> int: ...  # how far the follower got (== committed when caught up)

    def step(self) -> int: ...  # follow a bounded part more; raises TheodoliteError on failure

    def oldest_unfollowed(self) -> float | None: ...  # time.monotonic() of the oldest commit not followed


_FOLLOW = object()  # what `_next` returns when a follower's step comes first
FOLLOW_RETRY_S = 5.0  # after a failed step; the commits go on meanwhile


CommitFunction = Callable[[Sequence[Any]], list[list[Rejection]]]
CommittedHook = Callable[[Sequence[Any]], None]


@dataclass
class PipelineStats:
    """Counters read by /metrics and `doctor`; written only by the writer thread (ints are atomic)."""

    committed_items: int = 0
    committed_transactions: int = 0
    failed_transactions: int = 0
    rejected_overload: int = 0
    last_commit_seconds: float = 0.0
    commit_seconds_total: float = 0.0
    batch_sizes: list[int] = field(default_factory=list)  # last few, for debugging


@dataclass(slots=True)
class _Pending:
    work: Work
    size: int
    future: Future[list[Rejection]]


class IngestPipeline:
    """Owns the writer thread. `submit*` may be called from any thread or the event loop."""

    def __init__(
        self,
        commit: CommitFunction,
        *,
        max_queue_items: int,
        max_transaction_items: int,
        retry_after_s: int = 1,
        on_committed: CommittedHook | None = None,
        follower: Follower | None = None,
        follow_idle_s: float = 0.2,
        follow_max_lag_s: float = 30.0,
    ) -> None:
        self._commit = commit
        self._follower = follower
        self._follow_idle_s = follow_idle_s
        self._follow_max_lag_s = follow_max_lag_s
        self._last_commit = 0.0  # monotonic
        self._follow_retry_at = 0.0
        self._readers_waiting = 0
        self._stepped_last = False
        self._max_queue_items = max_queue_items
        self._max_transaction_items = max_transaction_items
        self._retry_after_s = retry_after_s
        self._on_committed = on_committed
        self._pending: deque[_Pending] = deque()
        self._pending_items = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.stats = PipelineStats()

    @property
    def queued_items(self) -> int:
        return self._pending_items

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="theodolite-writer", daemon=True)
        self._thread.start()

    def submit_nowait(self, work: Work) -> Future[list[Rejection]]:
        """Queue work; the future resolves after commit. Raises OverloadedError when full."""
        future: Future[list[Rejection]] = Future()
        size = max(work.size(), 1)
        with self._cond:
            if self._stopping:
                raise ShuttingDownError("server is shutting down", self._retry_after_s)
            # Counted until committed, so in-flight work holds its place too. An oversized batch is
            # still taken when nothing at all is queued or in flight, or it could never pass.
            if self._pending_items and self._pending_items + size > self._max_queue_items:
                self.stats.rejected_overload += 1
                raise OverloadedError(
                    f"ingest queue full ({self._pending_items} items waiting); retry later",
                    self._retry_after_s,
                )
            self._pending.append(_Pending(work, size, future))
            self._pending_items += size
            self._cond.notify_all()  # readers waiting for the follower share the condition
        return future

    async def submit(self, work: Work) -> list[Rejection]:
        """Queue work and wait until it is committed. Raises OverloadedError or StorageError."""
        return await asyncio.wrap_future(self.submit_nowait(work))

    def submit_blocking(self, work: Work, timeout_s: float | None = None) -> list[Rejection]:
        """For the CLI and the demo: queue work and block the calling thread until committed."""
        return self.submit_nowait(work).result(timeout=timeout_s)

    def underived(self) -> int:
        """How far the follower is behind the commits (0 without one)."""
        follower = self._follower
        return 0 if follower is None else max(0, follower.committed() - follower.followed())

    def wait_followed(self, timeout_s: float) -> int:
        """Block until the follower has followed everything committed before this call, at most
        `timeout_s` (the writer steps for it between commits). Returns how far it is still behind
        that point: 0 when it got there. Call it off the event loop."""
        follower = self._follower
        if follower is None:
            return 0
        deadline = time.monotonic() + timeout_s
        with self._cond:
            target = follower.committed()
            self._readers_waiting += 1
            self._cond.notify_all()
            try:
                while (behind := target - follower.followed()) > 0 and not self._stopping:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
            finally:
                self._readers_waiting -= 1
        return max(0, behind)

    def _follow_due(self, now: float) -> bool:
        """Whether a follower's step should come before any queued work."""
        follower = self._follower
        if follower is None or now < self._follow_retry_at or follower.followed() >= follower.committed():
            return False
        # Under sustained load only what is older than the bound: the lag stays near it, and the
        # commits keep most of the writer's time (the rest is derived once the writer is idle).
        oldest = follower.oldest_unfollowed()
        lagging = oldest is not None and now - oldest >= self._follow_max_lag_s
        return lagging or self._readers_waiting > 0

    def _next(self) -> list[_Pending] | object | None:
        """The next work for the writer thread: queued requests, `_FOLLOW`, or None to stop."""
        with self._cond:
            while True:
                now = time.monotonic()
                # A due step goes first, but never twice in a row while requests wait: under
                # sustained load, commits and steps alternate.
                if self._follow_due(now) and not (self._pending and self._stepped_last):
                    self._stepped_last = True
                    return _FOLLOW
                if self._pending:
                    self._stepped_last = False
                    return self._take_locked()
                if self._stopping:
                    return None
                follower = self._follower
                if follower is None or follower.followed() >= follower.committed():
                    self._cond.wait()
                    continue
                wake = max(self._last_commit + self._follow_idle_s, self._follow_retry_at)
                if now >= wake:
                    self._stepped_last = True
                    return _FOLLOW
                self._cond.wait(wake - now)

    def _take_locked(self) -> list[_Pending]:
        taken: list[_Pending] = []
        items = 0
        while self._pending and (not taken or items + self._pending[0].size <= self._max_transaction_items):
            pending = self._pending.popleft()
            taken.append(pending)
            items += pending.size
        return taken

    def _release(self, taken: list[_Pending]) -> None:
        with self._cond:
            self._pending_items -= sum(p.size for p in taken)

    def _follow(self) -> None:
        assert self._follower is not None
        try:
            self._follower.step()
        except Exception:  # never let the writer thread die; the commits go on without it
            log.exception("follower step failed; retrying in %.0f s", FOLLOW_RETRY_S)
            self._follow_retry_at = time.monotonic() + FOLLOW_RETRY_S
        with self._cond:
            self._cond.notify_all()

    def _committed(self) -> None:
        self._last_commit = time.monotonic()

    def _run(self) -> None:
        while True:
            taken = self._next()
            if taken is None:
                return
            if taken is _FOLLOW:
                self._follow()
                continue
            assert isinstance(taken, list)
            work = [p.work for p in taken]
            started = time.perf_counter()
            try:
                results = self._commit(work)
            except TheodoliteError as exc:
                self.stats.failed_transactions += 1
                log.error("commit failed; %d requests answered with an error: %s (cause: %s)",
                          len(taken), exc, exc.__cause__)  # fmt: skip
                self._release(taken)
                for pending in taken:
                    pending.future.set_exception(exc)
                continue
            except Exception as exc:  # never let the writer thread die: the server would hang
                self.stats.failed_transactions += 1
                log.exception("unexpected error in the writer")
                self._release(taken)
                for pending in taken:
                    pending.future.set_exception(exc)
                continue
            elapsed = time.perf_counter() - started
            self._committed()
            self._release(taken)
            stats = self.stats
            stats.committed_transactions += 1
            stats.committed_items += sum(p.size for p in taken)
            stats.last_commit_seconds = elapsed
            stats.commit_seconds_total += elapsed
            stats.batch_sizes = (stats.batch_sizes + [len(taken)])[-32:]
            if self._on_committed is not None:
                try:
                    self._on_committed(work)
                except Exception:  # a broken observer must not un-acknowledge committed data
                    log.exception("on_committed hook failed")
            for pending, rejected in zip(taken, results, strict=True):
                pending.future.set_result(rejected)

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Refuse new work, commit what is queued, stop the thread. True if it drained in time."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        return not self._thread.is_alive()
