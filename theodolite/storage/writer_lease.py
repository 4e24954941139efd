"""One writing process per SQLite database.

On SQLite the writer derives the search index and the trace totals after its commits, from what
it kept in memory and a mark in the database (`writer.py`); a second process writing the same
file would commit seqs between the first one's, and each would derive the other's range or move
the other's mark. So a SQLite writer holds an exclusive lock on `<database>-writer.lock` while it
lives; another `theodolite serve` or `theodolite demo` on the same file is refused with a clear
error instead. The operating system releases the lock when the process dies, so a crash leaves
nothing to clean. Reads, `costs recompute` and `search reindex` take no lease.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from theodolite.errors import StorageError


class WriterLease:
    def __init__(self, database_path: Path) -> None:
        self.path = Path(str(database_path) + "-writer.lock")
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(self._fd, 64).decode(errors="replace").strip() or "another process"
            os.close(self._fd)
            raise StorageError(
                f"another Theodolite process (pid {holder}) is writing to {database_path}: one server (or "
                "demo) writes a SQLite database at a time; stop it, or send the data through its API"
            ) from None
        os.ftruncate(self._fd, 0)
        os.write(self._fd, str(os.getpid()).encode())

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = -1
