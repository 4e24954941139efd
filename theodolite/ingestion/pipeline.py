"""accept -> queue -> single writer -> commit -> acknowledge.

A request's batch is acknowledged only after the transaction holding it has committed. Requests
that arrive while the writer is busy wait together and are committed in one transaction (group
commit), which is what makes per-request durability affordable. The queue is bounded in spans:
when it is full, `submit` raises OverloadedError at once (the route answers 429 + Retry-After),
so memory stays bounded however fast clients send.
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
    ) -> None:
        self._commit = commit
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
            self._cond.notify()
        return future

    async def submit(self, work: Work) -> list[Rejection]:
        """Queue work and wait until it is committed. Raises OverloadedError or StorageError."""
        return await asyncio.wrap_future(self.submit_nowait(work))

    def submit_blocking(self, work: Work, timeout_s: float | None = None) -> list[Rejection]:
        """For the CLI and the demo: queue work and block the calling thread until committed."""
        return self.submit_nowait(work).result(timeout=timeout_s)

    def _take(self) -> list[_Pending] | None:
        with self._cond:
            while not self._pending and not self._stopping:
                self._cond.wait()
            if not self._pending:
                return None
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

    def _run(self) -> None:
        while True:
            taken = self._take()
            if taken is None:
                return
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
