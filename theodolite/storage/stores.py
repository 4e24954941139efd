"""Opening both stores from their URLs: the metadata store (projects, keys, users, prices: always
SQL) and the trace store (SQL, or ClickHouse). On SQL they share one `Database`: reads join the two
(a cost report by project, a list by membership)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, partial

from theodolite.storage.backend import TraceStore
from theodolite.storage.engine import Database, open_database, open_existing_database
from theodolite.storage.metadata.project_reads import project_name
from theodolite.storage.sql_store import SqlTraceStore
from theodolite.storage.urls import is_clickhouse_url


@dataclass
class Stores:
    metadata: Database
    traces: TraceStore

    def close(self) -> None:
        self.traces.close()
        self.metadata.dispose()


def open_stores(
    trace_url: str,
    metadata_url: str,
    *,
    sqlite_cache_mib: int = 16,
    migrate: bool = True,
    read_timeout_s: float | None = None,
) -> Stores:
    """Open (and with `migrate`, create or upgrade) both stores. Raises StorageError when one cannot
    be reached, ConfigurationError for a URL it cannot use. Blocks."""
    metadata = open_database(
        metadata_url, sqlite_cache_mib=sqlite_cache_mib, migrate=migrate, read_timeout_s=read_timeout_s
    )
    if not is_clickhouse_url(trace_url):
        return Stores(metadata, SqlTraceStore(metadata))
    try:
        from theodolite.storage.clickhouse.store import open_clickhouse_store
        from theodolite.storage.clickhouse.write_locks import MetadataLocks

        names = partial(project_name, metadata)  # the cost report's project grouping
        locks = MetadataLocks(metadata)  # sibling servers' writers, kept apart by the shared metadata store
        traces = open_clickhouse_store(trace_url, migrate=migrate, project_name=names, locks=locks)
        return Stores(metadata, traces)
    except BaseException:
        metadata.dispose()
        raise


def open_existing_stores(trace_url: str, metadata_url: str, *, migrate: bool = False) -> Stores:
    """Both stores of an existing install, for a command that reads or changes its traces on either
    engine (`costs report`, `costs recompute`): a mistyped SQLite path or ClickHouse database creates
    nothing and is a one-line error (ConfigurationError, or StorageError when a server cannot be
    reached). `migrate`: upgrade the metadata schema (`open_existing_database`). Blocks."""
    metadata = open_existing_database(metadata_url, migrate=migrate)
    if not is_clickhouse_url(trace_url):
        return Stores(metadata, SqlTraceStore(metadata))
    try:
        from theodolite.storage.clickhouse.store import open_clickhouse_store
        from theodolite.storage.clickhouse.write_locks import MetadataLocks

        # One command's lifetime: a project's name is asked once, not once per line of a report.
        names = cache(partial(project_name, metadata))
        locks = MetadataLocks(metadata)  # `costs recompute` rewrites calls the servers may be writing
        store = open_clickhouse_store(trace_url, migrate=False, project_name=names, locks=locks)
        try:
            store.require_schema()
        except BaseException:
            store.close()
            raise
        return Stores(metadata, store)
    except BaseException:
        metadata.dispose()
        raise
