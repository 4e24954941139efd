"""What lets several `theodolite serve` processes write one ClickHouse trace store.

The ClickHouse writer reads before it writes (`writer.py`): which spans of a trace are stored
already (a retry must not reach the views twice), the trace row a new part merges into, the stored
observation a Langfuse or LangSmith update completes (its cancelling row must be the row the views
counted). Two processes doing that at once for the same project would each miss the other's insert:
a span counted twice, a trace row replaced by half of it, an update cancelled twice. ClickHouse has
no transaction to hold a lock in, but every server also has the metadata store, which is SQL:

- PostgreSQL (servers on several hosts): each commit holds the per-project advisory transaction
  locks that SQL writers take (`process_locks.lock_projects`, ascending project order, so no two
  writers wait for each other in a cycle) from its reads to its last insert. Siblings' commits for
  one project run one after the other; their HTTP, decoding and pricing stay parallel.
- SQLite (servers on one host): an exclusive `flock` on `<metadata file>-clickhouse-write.lock`
  around each commit; the operating system drops it with a process that dies.

One server alone takes an uncontended lock per commit (a round trip to PostgreSQL, or a system
call). `theodolite costs recompute` on ClickHouse takes the same locks.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from theodolite.storage.engine import Database
from theodolite.storage.process_locks import lock_projects


class WriteLocks(Protocol):
    def hold(self, project_ids: Iterable[int]) -> AbstractContextManager[None]:
        """Held from a commit's first read to its last insert."""
        ...


class NoLocks:
    """For a process that is the store's only writer by construction (a copy, a benchmark)."""

    @contextmanager
    def hold(self, project_ids: Iterable[int]) -> Iterator[None]:
        yield


class MetadataLocks:
    """The project write locks, taken through the metadata store (see the module's docstring)."""

    def __init__(self, metadata: Database) -> None:
        self._metadata = metadata
        self._path: Path | None = None
        if metadata.dialect_name == "sqlite" and metadata.path is not None:
            self._path = Path(str(metadata.path) + "-clickhouse-write.lock")

    @contextmanager
    def hold(self, project_ids: Iterable[int]) -> Iterator[None]:
        if self._metadata.dialect_name == "postgresql":
            with self._metadata.engine.connect() as conn, conn.begin():
                lock_projects(conn, project_ids)
                yield  # the locks go at the end of this transaction, after the last insert
            return
        if self._path is None:  # an in-memory metadata store: one process by construction
            yield
            return
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock
