"""The trace store on ClickHouse: `backend.TraceStore` over a clickhouse-connect client.

Projects, keys, users and prices stay on SQL (the metadata store): the cost report's project
grouping asks the metadata for names through `project_name`. Nothing is derived after a commit
(materialised views do it at insert), so the writer's follower positions stay equal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import Any

from theodolite.errors import ConfigurationError, StorageError
from theodolite.pricing import PriceOverrides
from theodolite.query.backend import TraceQueries
from theodolite.storage.clickhouse.connection import ClickHouseUrl, connect, create_schema, first_line, parse_url
from theodolite.storage.clickhouse.write_locks import WriteLocks
from theodolite.storage.clickhouse.writer import ClickHouseWriter
from theodolite.storage.repricing_rule import RepriceSummary

COUNTED = frozenset({"traces", "observations", "scores"})


class ClickHouseTraceStore:
    dialect_name = "clickhouse"
    # The views derive what lists read at insert; only the aggregates' trace and score rollups follow.
    lists_follow_commits = False

    def __init__(
        self,
        target: ClickHouseUrl,
        *,
        project_name: Callable[[int], str] | None = None,
        locks: WriteLocks | None = None,
    ) -> None:
        """`locks`: what keeps sibling servers' writers apart (`write_locks.MetadataLocks`); None
        for a process that is the store's only writer."""
        self.target = target
        self.client, self.database = connect(target)
        self._project_name = project_name
        self.locks = locks

    @cached_property
    def queries(self) -> TraceQueries:
        from theodolite.storage.clickhouse.queries.trace_queries import ClickHouseTraceQueries

        return ClickHouseTraceQueries(self.client, self.database, project_name=self._project_name)

    def make_writer(self, *, document_worker_after_s: float | None = None) -> ClickHouseWriter:
        """A client of its own: the writer thread's inserts never wait behind a read's query."""
        client, database = connect(self.target)
        return ClickHouseWriter(client, database, self.locks)

    def create_schema(self, **options: Any) -> None:
        """Tables and views if missing (idempotent); `options`: `cluster`, `ttl_days`."""
        create_schema(self.client, self.database, **options)

    def ping(self) -> None:
        try:
            self.client.command("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - any failure is "unreachable", with its first line
            raise StorageError(f"ClickHouse at {self.target.describe()} is unreachable: {first_line(exc)}") from exc

    def require_schema(self) -> None:
        """Raises ConfigurationError when the database holds no trace store (a mistyped name): a
        command on an existing install says so rather than failing on a missing table."""
        found = self.client.command(
            "SELECT count() FROM system.tables WHERE database = {database:String} AND name = 'observations'",
            parameters={"database": self.database},
        )
        if not int(found):
            raise ConfigurationError(
                f"no Theodolite trace store in ClickHouse at {self.target.describe()}: check --database-url,"
                " or create its tables with `theodolite migrate`"
            )

    def size_bytes(self) -> int | None:
        rows = self.client.query(
            "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = {database:String} AND active",
            parameters={"database": self.database},
        ).result_rows
        return int(rows[0][0] or 0) if rows else None

    def count_rows(self, table: str) -> int:
        if table not in COUNTED:
            raise ValueError(f"not a table of the trace store: {table!r}")
        # FINAL: a re-sent or updated row counts once, before the merges too; deleted keys not at all.
        return int(self.client.command(f"SELECT count() FROM `{self.database}`.{table} FINAL"))

    def count_to_reprice(self, since: datetime, until: datetime | None, project_id: int | None) -> int:
        from theodolite.storage.clickhouse import repricing

        return repricing.count_to_reprice(self._rewriter(), since, until, project_id)

    def reprice(self, overrides: dict[int, PriceOverrides], **options: Any) -> RepriceSummary:
        from theodolite.storage.clickhouse import repricing

        return repricing.reprice(self._rewriter(), overrides, **options)

    def _rewriter(self) -> ClickHouseWriter:
        """A writer on the store's own client (not closed after: the store closes it) for a command
        that rewrites stored rows; the server's ingest writer has a client of its own."""
        return ClickHouseWriter(self.client, self.database, self.locks)

    def close(self) -> None:
        self.client.close()


def open_clickhouse_store(
    url: str,
    *,
    migrate: bool = True,
    project_name: Callable[[int], str] | None = None,
    locks: WriteLocks | None = None,
) -> ClickHouseTraceStore:
    """Connect (and with `migrate`, create the schema if missing). Raises ConfigurationError for a URL
    that names no ClickHouse store or when clickhouse-connect is not installed, StorageError when the
    server cannot be reached. Blocks."""
    store = ClickHouseTraceStore(parse_url(url), project_name=project_name, locks=locks)
    try:
        store.ping()
        if migrate:
            store.create_schema()
    except BaseException:
        store.close()
        raise
    return store
