"""SQLite's search documents made ahead of the step, in a process of its own.

A step (`writer.SqlWriter.step`) indexes a range of committed observations. Their documents are
made from the stored payloads (`search.make_documents`: decompress, parse, extract; ~14 us per
span of `bench/writer.py`'s load), and made on the writer thread that is time every commit waits
for once the writer derives between commits (sustained load, `derive_max_lag_s`). Here a
process of its own makes them while the writer commits: the writer asks for a step's range once
every commit of it is committed (`prefetch`), and at the step takes the finished list (`take`)
and only inserts it. A range the step takes without having asked (a step for a waiting read,
after an idle moment) is made there and then, in the same process if it runs: the writer thread
waits without holding the server's GIL.

The process (~65 MiB: a second Python with SQLAlchemy) runs only while the writer is behind: the
writer starts it with its first request, once commits have waited for their step for most of
`derive_max_lag_s` (a burst shorter than that is derived after it, on the writer's thread), and
stops it when it has caught up.

Nothing here is needed for correctness: `take` returns None when the process failed (it is
restarted), and the step then makes the documents itself, in its transaction.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from theodolite.storage.codec import ValueCodec
from theodolite.storage.dictionaries import load_dictionaries
from theodolite.storage.engine import Database
from theodolite.storage.payloads import MissingDictionaryError
from theodolite.storage.search import make_documents

log = logging.getLogger(__name__)

AHEAD = 2  # ranges asked for ahead of the step: ~7 MB of documents each at FOLLOW_CHUNK seqs

_database: Database | None = None  # the worker process's own


def _open(url: str) -> None:
    global _database
    _database = Database(url)
    load_dictionaries(_database)


def _make(start: int, stop: int) -> list[dict[str, Any]]:
    assert _database is not None
    codec = ValueCodec("sqlite")
    with _database.connect() as conn:
        try:
            return make_documents(conn, codec, start, stop)
        except MissingDictionaryError:  # trained since this process started
            load_dictionaries(_database)
            return make_documents(conn, codec, start, stop)


class DocumentWorker:
    """Owned by the writer thread (not thread-safe). `url`: the SQLite database's."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._asked: dict[tuple[int, int], Future[list[dict[str, Any]]]] = {}
        self.taken_ahead = self.made_on_demand = self.failures = 0  # ranges, for tests and logs
        self._executor: ProcessPoolExecutor | None = None  # started by the first `prefetch`

    def running(self) -> bool:
        return self._executor is not None

    def _new_executor(self) -> ProcessPoolExecutor:
        # spawn, not fork: the server process has threads by now.
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(1, mp_context=context, initializer=_open, initargs=(self._url,))

    def wants(self) -> bool:
        """Whether another range may be asked for now."""
        return len(self._asked) < AHEAD

    def asked(self, start: int, stop: int) -> bool:
        return (start, stop) in self._asked

    def prefetch(self, start: int, stop: int) -> None:
        """Start making the documents of the committed seqs [start, stop) (and the process)."""
        if (start, stop) in self._asked:
            return
        if self._executor is None:
            self._executor = self._new_executor()
        self._asked[(start, stop)] = self._executor.submit(_make, start, stop)

    def take(self, start: int, stop: int) -> list[dict[str, Any]] | None:
        """The documents of [start, stop), made now if they were not asked for; None when the
        process is not running or failed (then the caller makes them). Forgets every range that
        starts below `stop`."""
        future = self._asked.pop((start, stop), None)
        for key in [key for key in self._asked if key[0] < stop]:
            self._asked.pop(key).cancel()
        if self._executor is None:
            return None
        try:
            ahead = future is not None
            if future is None:
                future = self._executor.submit(_make, start, stop)
            documents = future.result()
            if ahead:
                self.taken_ahead += 1
            else:
                self.made_on_demand += 1
            return documents
        except Exception:
            self.failures += 1
            log.exception("the search document worker failed; the writer makes the documents and restarts it")
            self._restart()
            return None

    def _restart(self) -> None:
        self.stop_process()
        self._executor = self._new_executor()

    def stop_process(self) -> None:
        """Forget what was asked and let the process end (it finishes what it is making)."""
        executor, self._executor = self._executor, None
        for future in self._asked.values():
            future.cancel()
        self._asked.clear()
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        executor, self._executor = self._executor, None
        self._asked.clear()
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
