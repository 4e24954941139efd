"""Wires DerivedMetrics to the ingest pipeline (at commit) and the server's health readings
(at scrape)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from theodolite import __version__
from theodolite.ingestion.pipeline import IngestPipeline
from theodolite.metrics.derived import DerivedMetrics
from theodolite.server.settings import Settings
from theodolite.storage.backend import TraceStore
from theodolite.storage.engine import Database
from theodolite.storage.metadata.project_reads import project_ids

DATABASE_SIZE_TTL_S = 60.0
PROJECTS_TTL_S = 60.0


class ProjectNames:
    """Project id -> name for the `project` label; re-read on an id it has not seen."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._names: dict[int, str] = {}

    def __call__(self, project_id: int) -> str:
        name = self._names.get(project_id)
        if name is None:
            self._names = {id_: name for name, id_ in project_ids(self._database).items()}
            name = self._names.get(project_id, str(project_id))
        return name


class MetricsHook:
    """Called by the writer thread after each commit; then passes on to `next_hook`."""

    def __init__(self, derived: DerivedMetrics, database: Database, next_hook: Callable[[Sequence[Any]], None] | None):
        self.derived = derived
        self.names = ProjectNames(database)
        self.next_hook = next_hook
        self.pipeline: IngestPipeline | None = None

    def __call__(self, committed: Sequence[Any]) -> None:
        try:
            self.derived.record(committed, self.names)
            self.derived.observe_health("theodolite_ingest_transaction_requests", len(committed))
            self.derived.observe_health("theodolite_ingest_transaction_spans", sum(work.size() for work in committed))
            if self.pipeline is not None:
                self.derived.observe_health("theodolite_ingest_commit_duration_seconds",
                                            self.pipeline.stats.last_commit_seconds)  # fmt: skip
        finally:
            if self.next_hook is not None:
                self.next_hook(committed)


class HealthReadings:
    """The gauges and pipeline counters, read at scrape time."""

    def __init__(self, settings: Settings, database: Database, pipeline: IngestPipeline, traces: TraceStore) -> None:
        self.settings, self.database, self.pipeline, self.traces = settings, database, pipeline, traces
        self._size: tuple[float, float | None] = (float("-inf"), None)
        self._projects: tuple[float, list[str]] = (float("-inf"), [])
        self._lock = threading.Lock()

    def project_names(self) -> list[str]:
        """Every project in the database, re-read at most once a minute (a scrape must stay cheap)."""
        with self._lock:
            read_at, names = self._projects
            if time.monotonic() - read_at > PROJECTS_TTL_S:
                names = sorted(project_ids(self.database))
                self._projects = (time.monotonic(), names)
            return names

    def database_size(self) -> float | None:
        with self._lock:
            read_at, size = self._size
            if time.monotonic() - read_at > DATABASE_SIZE_TTL_S:
                size = self.traces.size_bytes()
                self._size = (time.monotonic(), size)
            return size

    def __call__(self) -> dict[str, list[tuple[tuple[str, ...], float]]]:
        stats = self.pipeline.stats
        readings = {
            "theodolite_ingest_queue_spans": [((), float(self.pipeline.queued_items))],
            "theodolite_ingest_queue_capacity_spans": [((), float(self.settings.ingest_queue_max_spans))],
            "theodolite_ingest_underived_spans": [((), float(self.pipeline.underived()))],
            "theodolite_ingest_committed_spans_total": [((), float(stats.committed_items))],
            "theodolite_ingest_transactions_total": [
                (("committed",), float(stats.committed_transactions)),
                (("failed",), float(stats.failed_transactions)),
            ],  # fmt: skip
            "theodolite_ingest_overloaded_requests_total": [((), float(stats.rejected_overload))],
            "theodolite_build_info": [((__version__, ""), 1.0)],
            "theodolite_project_info": [((name,), 1.0) for name in self.project_names()],
        }
        size = self.database_size()
        if size is not None:
            readings["theodolite_database_size_bytes"] = [((), float(size))]
        return readings
