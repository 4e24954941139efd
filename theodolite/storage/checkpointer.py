"""WAL checkpoints on their own thread, so the ingest writer never waits for them (SQLite).

By default SQLite checkpoints inside the commit that grows the WAL past 1,000 pages: the writer
copies pages into the database file and fsyncs it while every waiting request waits too. That
was 40% of the writer thread's time under load (py-spy, core issue). Here the writer's own
connection never checkpoints; this thread runs PASSIVE checkpoints, which do not block writers.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import text

from theodolite.storage.engine import Database

log = logging.getLogger(__name__)


class WalCheckpointer:
    def __init__(self, database: Database, interval_s: float = 1.0) -> None:
        self._database = database
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="theodolite-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _checkpoint(self, mode: str) -> None:
        with self._database.engine.connect() as conn:
            conn.execute(text(f"PRAGMA wal_checkpoint({mode})"))

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._checkpoint("PASSIVE")
            except Exception:  # a failed checkpoint only delays the next one; never stop trying
                log.exception("WAL checkpoint failed")

    def stop(self) -> None:
        """Stop the thread and fold the WAL into the database file. Blocks."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(30)
        try:
            self._checkpoint("TRUNCATE")
        except Exception:
            log.warning("final WAL checkpoint failed; SQLite will finish it on next open", exc_info=True)
