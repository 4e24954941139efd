"""The online evaluators in a process of their own, so that they never slow ingestion.

In a thread of the server (`EvaluatorWorker` alone), the worker's reads of new traffic, its JSON
decoding and its verdicts' preparation shared the server's interpreter lock with the HTTP handlers
and the writer thread: a 50 % judge rule cost a fresh SQLite server a fifth of its ingest rate
(bench/online_evaluators.py). Here a spawned child process runs the same worker on its own
connections to the same stores, and only its prepared verdicts (scores and the judge's priced
traces, a `PreparedBatch`, pickled) come back over a pipe: a relay thread of the server submits
each into the ingest pipeline like a client's request and answers once it is committed, so that
the child moves a rule's watermark only after its verdicts are stored, as in a thread.

The child is watched: if it dies (a crash, an out-of-memory kill), the server logs it and starts a
new one after a few seconds (longer if it keeps failing at once); the new one resumes from the
stored watermarks and, verdicts being at most once per rule and object, judges nothing twice. If
the server dies, the child notices (its control pipe closes) and exits. The process starts once
some project has an enabled rule: a server without rules spares its memory. The embedded ClickHouse
(`chdb:`) is opened by one process only: there, and with `evaluator_process` off, the worker runs
in a thread of the server as before.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from theodolite.errors import OverloadedError, ShuttingDownError, TheodoliteError
from theodolite.ingestion.pipeline import IngestPipeline
from theodolite.server.settings import Settings
from theodolite.storage.codec import ValueCodec
from theodolite.storage.dictionaries import load_dictionaries

log = logging.getLogger(__name__)
RESTART_DELAY_S = 2.5  # doubled after each failure soon after a start, up to MAX_RESTART_DELAY_S
MAX_RESTART_DELAY_S = 60.0
STOP_TIMEOUT_S = 30.0
_WATCH_S = 0.5  # how often the child reports whether it holds the lease


class EvaluatorProcess:
    """The server's side: starts and watches the child, relays its verdicts into the pipeline.

    Two pipes and no shared memory (nothing for the interpreter to clean up at exit): the child
    sends ("submit", work, timeout) and waits for the answer, or ("lease", held); the server
    closes the control pipe to stop the child (a server that dies closes it too).
    `holds_lease` and `stop` are those of `EvaluatorWorker`, so the routes and the app use either.
    """

    runs_in = "process"

    def __init__(
        self, settings: Settings, pipeline: IngestPipeline, codec: ValueCodec, has_rules: Callable[[], bool]
    ) -> None:
        """`has_rules`: whether any project has an enabled rule; the process (about 65 MB) starts
        only once one has."""
        self.settings, self.pipeline, self.codec, self.has_rules = settings, pipeline, codec, has_rules
        self._context = multiprocessing.get_context("spawn")  # the server has threads by now: no fork
        self._stopping = threading.Event()
        self._control: Connection | None = None
        self._process: Any = None
        self._held = False
        self._watcher = threading.Thread(target=self._watch, name="theodolite-evaluators-relay", daemon=True)
        self.restarts = 0

    @property
    def holds_lease(self) -> bool:
        process = self._process
        return self._held and process is not None and process.is_alive()

    @property
    def pid(self) -> int | None:
        process = self._process
        return None if process is None else process.pid

    def start(self) -> None:
        self._watcher.start()

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Ask the child to finish its pass (its verdicts are relayed and committed), then wait for
        it; one that does not stop in time is terminated (its uncommitted verdicts are judged again
        by the next start, from the watermark)."""
        self._stopping.set()
        control = self._control
        if control is not None:
            control.close()
        self._watcher.join(timeout_s + 5)
        process = self._process
        if process is not None and process.is_alive():
            log.error("online evaluators: the process did not stop within %.0f s; terminating it", timeout_s)
            process.terminate()
            process.join(5)

    def _watch(self) -> None:
        delay_s = RESTART_DELAY_S
        if not self._rules_exist():
            log.info("online evaluators: no rule is enabled; their process starts with the first one")
            while not self._stopping.wait(self.settings.evaluator_poll_s) and not self._rules_exist():
                pass
        while not self._stopping.is_set():
            started = time.monotonic()
            relay, relay_child = self._context.Pipe()
            control_child, control = self._context.Pipe(duplex=False)
            process = self._context.Process(
                target=run_child, args=(self.settings, self.codec, relay_child, control_child),
                name="theodolite-evaluators", daemon=True,
            )  # fmt: skip
            process.start()
            relay_child.close()  # the relay sees EOF once the child's end is gone
            control_child.close()
            self._process, self._control = process, control
            if self._stopping.is_set():  # stop() came before the control pipe was there to close
                control.close()
            log.info("online evaluators: running in process %s", process.pid)
            self._relay(relay)
            relay.close()
            process.join(STOP_TIMEOUT_S + 5)
            self._held = False
            if self._stopping.is_set():
                return
            control.close()
            self.restarts += 1
            # a process that keeps failing at once (a store it cannot open) is retried less and less often
            quick = time.monotonic() - started < MAX_RESTART_DELAY_S
            delay_s = min(delay_s * 2, MAX_RESTART_DELAY_S) if quick else RESTART_DELAY_S
            log.error("online evaluators: the process %s stopped (exit code %s); starting another in %.0f s",
                      process.pid, process.exitcode, delay_s)  # fmt: skip
            self._stopping.wait(delay_s)

    def _rules_exist(self) -> bool:
        try:
            return self.has_rules()
        except Exception:  # noqa: BLE001 - a database that does not answer now may answer next time
            log.exception("online evaluators: cannot read the rules")
            return False

    def _relay(self, conn: Connection) -> None:
        """The child's messages until EOF: its lease, and verdicts into the pipeline, each answered
        once committed."""
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return
            if message[0] == "lease":
                self._held = bool(message[1])
                continue
            _, work, timeout_s = message
            try:
                self.pipeline.submit_blocking(work, timeout_s)
                answer: tuple[str, Any] = ("ok", None)
            except OverloadedError as exc:
                answer = ("overloaded", (str(exc), exc.retry_after_s))
            except Exception as exc:  # noqa: BLE001 - the child decides; the relay goes on
                answer = ("error", f"{type(exc).__name__}: {exc}")
            try:
                conn.send(answer)
            except (EOFError, OSError):
                return


class _RelayedPipeline:
    """The child's stand-in for the ingest pipeline: `submit_blocking` as the worker calls it."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._send_lock = threading.Lock()  # the lease report and a submission must not interleave
        self._lock = threading.Lock()  # one submission and its answer at a time

    def report_lease(self, held: bool) -> None:
        with self._send_lock:
            self._conn.send(("lease", held))

    def submit_blocking(self, work: Any, timeout_s: float | None = None) -> list[Any]:
        with self._lock:
            try:
                with self._send_lock:
                    self._conn.send(("submit", work, timeout_s))
                kind, detail = self._conn.recv()
            except (EOFError, OSError) as exc:
                raise ShuttingDownError("the server's relay is gone") from exc
        if kind == "overloaded":
            raise OverloadedError(*detail)
        if kind == "error":
            raise TheodoliteError(detail)
        return []


def run_child(settings: Settings, codec: ValueCodec, conn: Connection, control: Connection) -> None:
    """The child process: the worker on its own connections, until the control pipe closes."""
    from theodolite.server.evaluator_worker import EvaluatorWorker
    from theodolite.server.price_book import PriceBook
    from theodolite.storage.process_locks import EVALUATORS, Lease
    from theodolite.storage.statistics import PlannerStatistics
    from theodolite.storage.stores import open_stores

    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s:     [evaluators] %(message)s")
    # Below the server in the scheduler's eyes: while ingestion keeps the cores busy, the evaluators
    # get what it leaves (the budget alone still took a tenth of a saturated server's throughput).
    os.nice(settings.evaluator_niceness)
    # The server migrated the stores before starting this process.
    stores = open_stores(settings.database_url, settings.metadata_database_url,
                         sqlite_cache_mib=settings.sqlite_cache_mib, migrate=False)  # fmt: skip
    database = stores.metadata
    relayed = _RelayedPipeline(conn)
    try:
        # Compress the judge's payloads as the server does; a payload read with a dictionary trained
        # since is handled by the readers (they load the stored dictionaries on a miss).
        load_dictionaries(database)
        worker = EvaluatorWorker(
            database, stores.traces.queries, relayed, codec,
            PriceBook(database).for_project_blocking, Lease(database.engine, EVALUATORS),
            api_keys=settings.evaluator_api_key_map, concurrency=settings.evaluator_concurrency,
            settle_s=settings.evaluator_settle_s, poll_s=settings.evaluator_poll_s,
            cpu_share=settings.evaluator_cpu_share, before_pass=PlannerStatistics(database).refresh_if_stale,
        )  # fmt: skip
        worker.start()
        held = False
        while not control.poll(_WATCH_S):  # readable at EOF: the server closed it, or is gone
            if worker.holds_lease != held:
                held = worker.holds_lease
                relayed.report_lease(held)
        worker.stop(STOP_TIMEOUT_S)
    finally:
        conn.close()
        control.close()
        stores.close()
