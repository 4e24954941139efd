"""WAL checkpoints on their own thread, so the ingest writer never waits for them (SQLite). The
same thread refreshes the query planner's statistics when the data has outgrown them.

By default SQLite checkpoints inside the commit that grows the WAL past 1,000 pages: the writer
copies pages into the database file and fsyncs it while every waiting request waits too. That
was 40% of the writer thread's time under load (profiled with py-spy). Here the writer's own
connection never checkpoints; this thread runs PASSIVE checkpoints, which do not block writers.

A PASSIVE checkpoint never lets the WAL start over while the writer keeps appending, so the file
would grow without bound (1.9 GB for 100,000 spans, measured). When it passes `restart_bytes`,
a RESTART checkpoint briefly holds new write transactions back (they wait in the busy handler),
after which the next transaction rewinds the WAL and `journal_size_limit` truncates it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from theodolite.storage.engine import Database
from theodolite.storage.statistics import PlannerStatistics

log = logging.getLogger(__name__)

# Between checks whether the query planner's statistics are stale (`storage/statistics.py`).
STATISTICS_EVERY_TICKS = 60


class WalCheckpointer:
    def __init__(self, database: Database, interval_s: float = 1.0, restart_bytes: int = 64 * 1024 * 1024) -> None:
        self._database = database
        self._interval_s = interval_s
        self._restart_bytes = restart_bytes
        self._wal = Path(str(database.path) + "-wal") if database.path else None
        self._stop = threading.Event()
        self._statistics = PlannerStatistics(database)
        self._thread = threading.Thread(target=self._run, name="theodolite-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _checkpoint(self, mode: str) -> None:
        # On the DB-API connection, in autocommit: inside a transaction (SQLAlchemy's autobegin)
        # SQLite refuses with "database table is locked".
        connection = self._database.engine.raw_connection()
        try:
            connection.driver_connection.execute(f"PRAGMA wal_checkpoint({mode})")  # type: ignore[union-attr]
        finally:
            connection.close()

    def _wal_bytes(self) -> int:
        try:
            return self._wal.stat().st_size if self._wal else 0
        except FileNotFoundError:
            return 0

    def _run(self) -> None:
        ticks = 0
        while not self._stop.wait(self._interval_s):
            try:
                self._checkpoint("RESTART" if self._wal_bytes() > self._restart_bytes else "PASSIVE")
            except Exception:  # a failed checkpoint only delays the next one; never stop trying
                log.exception("WAL checkpoint failed")
            ticks += 1
            if ticks % STATISTICS_EVERY_TICKS == 0:
                try:
                    self._statistics.refresh_if_stale()
                except Exception:  # stale statistics slow some reads; they never lose data
                    log.exception("refreshing planner statistics failed")

    def stop(self) -> None:
        """Stop the thread and fold the WAL into the database file. Blocks."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(30)
        try:
            self._checkpoint("TRUNCATE")
        except Exception:
            log.warning("final WAL checkpoint failed; SQLite will finish it on next open", exc_info=True)
