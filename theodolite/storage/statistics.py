"""Keeping SQLite's query planner informed: ANALYZE, sampled, whenever the data has doubled.

Without statistics SQLite guesses that an equality on any index's first column matches ~10 rows,
so for `project_id = ? AND trace_id IN (...)` it may pick (project_id, start_time), reading every
observation of the project (seconds on a million spans), instead of (trace_id, id). With
`sqlite_stat1` it knows one project holds them all. ANALYZE with `analysis_limit` samples each
index instead of reading it (~0.3 s on a million spans); it runs when the server starts and, from
the checkpoint thread, each time `observations` has doubled since the last run. PostgreSQL keeps
its own statistics (autovacuum's ANALYZE).
"""

from __future__ import annotations

import logging

from theodolite.storage.engine import Database

log = logging.getLogger(__name__)

# Below this every plan is fast enough. Not much more: the online evaluators read trace after trace
# from a fresh database, and at 6,000 spans a trace read without statistics scanned the project
# (30 ms against 7 ms with them); ANALYZE of 1,000 rows takes a few milliseconds.
MIN_ROWS = 1_000
GROWTH = 2.0
ANALYSIS_LIMIT = 1000  # rows sampled per index (SQLite's recommended range: 100-1000)


class PlannerStatistics:
    """Refreshes SQLite's statistics when they are missing or the data has outgrown them. Thread-safe
    enough for one caller at a time (the server's start, then the checkpoint thread)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def refresh_if_stale(self) -> bool:
        """ANALYZE if `observations` has >= MIN_ROWS and no statistics or GROWTH x more rows than
        they describe; True if it ran. Blocks (takes the write lock briefly)."""
        if self._database.dialect_name != "sqlite":
            return False
        connection = self._database.engine.raw_connection()
        try:
            sqlite = connection.driver_connection
            rows = sqlite.execute("SELECT coalesce(max(seq), 0) FROM observations").fetchone()[0]
            if rows < MIN_ROWS:
                return False
            known = self._described_rows(sqlite)
            if known is not None and rows < known * GROWTH:
                return False
            # Autocommit on the DB-API connection: ANALYZE writes sqlite_stat1 in its own transaction.
            sqlite.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
            sqlite.execute("ANALYZE")
            log.info("refreshed query planner statistics (%d observations)", rows)
            return True
        finally:
            connection.close()

    @staticmethod
    def _described_rows(sqlite: object) -> int | None:
        exists = sqlite.execute(  # type: ignore[attr-defined]
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
        ).fetchone()
        if exists is None:
            return None
        row = sqlite.execute(  # type: ignore[attr-defined]
            "SELECT stat FROM sqlite_stat1 WHERE tbl = 'observations' AND idx IS NOT NULL LIMIT 1"
        ).fetchone()
        return int(row[0].split()[0]) if row else None
