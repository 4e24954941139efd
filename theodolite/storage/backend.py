"""The write side's interface, one implementation per engine family.

The SQL family (SQLite, PostgreSQL) is `storage.writer.SqlWriter`, made by `sql_store.SqlTraceStore`.
A ClickHouse backend (not written yet) would add its own writer with `clickhouse-connect` and its own
DDL; the pipeline, the decode workers and the server see only this protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from theodolite.model import Rejection
from theodolite.pricing import PriceOverrides
from theodolite.query.backend import TraceQueries
from theodolite.storage.codec import ValueCodec
from theodolite.storage.repricing_rule import RepriceSummary
from theodolite.storage.rows import PreparedBatch


class TraceWriter(Protocol):
    """Commits prepared batches. Owned by the ingest pipeline's writer thread; not thread-safe."""

    codec: ValueCodec  # how the decode workers must encode rows for this engine

    def commit(self, items: Sequence[PreparedBatch]) -> list[list[Rejection]]:
        """Write all items in one transaction; blocks until durable. Returns, per item, what was
        refused while writing. Raises StorageError when nothing of the transaction was stored."""
        ...

    # Work that follows the commits (the search index on SQLite): `ingestion.pipeline.Follower`.
    # Positions only grow; an engine that derives nothing after the commit keeps them equal.
    def committed(self) -> int: ...

    def followed(self) -> int: ...

    def step(self) -> int:
        """Follow a bounded part of what is committed; returns how much it covered."""
        ...

    def oldest_unfollowed(self) -> float | None: ...

    def catch_up(self, on_step: Callable[[int], None] | None = None) -> int:
        """Follow everything committed, step after step (`on_step` gets each step's size)."""
        ...

    def close(self) -> None:
        """Release the connection (and background helpers such as the WAL checkpointer)."""
        ...


class TraceStore(Protocol):
    """Where traces, observations and scores live: their writer's factory and their reads, one per
    engine family (`storage/sql_store.SqlTraceStore` for SQLite and PostgreSQL)."""

    @property
    def dialect_name(self) -> str: ...

    # Whether the lists (traces, sessions, users, search) read something the writer's follower derives
    # after the commit, so that a read of them waits for it (`server/routes/api.derived_caught_up`).
    lists_follow_commits: bool

    @property
    def queries(self) -> TraceQueries: ...

    def ping(self) -> None:
        """One round trip (the health probe). Raises what the client raised. Blocks."""
        ...

    def size_bytes(self) -> int | None:
        """Bytes on disk, None when unknown. Blocks."""
        ...

    def count_rows(self, table: str) -> int:
        """Rows of "traces", "observations" or "scores", each counted once. Blocks."""
        ...

    def close(self) -> None: ...

    def make_writer(self, *, document_worker_after_s: float | None = None) -> TraceWriter:
        """The writer; owned by one thread (the ingest pipeline's). `document_worker_after_s`: see
        `SqlWriter` (engines that derive nothing after the commit ignore it)."""
        ...

    # `theodolite costs recompute`: the calls (generations, and calls carrying a reported cost) that
    # started in [since, until), of one project or all, re-priced by `repricing_rule.repriced`.
    def count_to_reprice(self, since: datetime, until: datetime | None, project_id: int | None) -> int: ...

    def reprice(
        self,
        overrides: dict[int, PriceOverrides],
        *,
        since: datetime,
        until: datetime | None = None,
        project_id: int | None = None,
        batch_size: int = 2000,
        on_batch: Callable[[int], None] = lambda n: None,
    ) -> RepriceSummary:
        """Batch after batch, each written on its own; only changed calls are written, with
        everything derived from them (totals, rollups). Blocks."""
        ...
