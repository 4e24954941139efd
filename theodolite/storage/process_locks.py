"""PostgreSQL advisory locks: what lets several `theodolite serve` processes share one database.

Each process has its own writer thread. Much of what a writer does in its transaction reads rows
before writing them: which spans of a trace are stored already (a retry must not count twice), the
trace row a new part merges into, its totals, the rollup rows with histograms (read, merged,
written back), the sessions' and users' totals. Two processes doing that at once for the same
project would each miss the other's uncommitted work: lost updates, a span counted twice, a trace
row replaced by half of it. So a writer takes, at the start of its transaction, an exclusive
transaction lock per project it writes (in ascending order, so two writers never wait for each
other in a cycle), and everything else that changes derived rows (`costs recompute`, `rollups
rebuild`) takes the same locks. One process's writer is one thread already, so a single server
waits for nothing; siblings run their transactions for one project one after the other (their
HTTP, decoding and pricing stay parallel), and different projects in parallel.

Work that must run once per database, not once per process (the demo's live traffic, migrations
and the first start's bootstrap) holds a session lock of its own (`Lease`, `held`). SQLite needs
none of this: one process writes a SQLite file (`writer_lease.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine

# The two-key form (class, object) keeps these apart from single-key advisory locks other software
# may take on the same database.
PROJECT_WRITE = 0x7468_0001  # object: the project id
ONCE = 0x7468_0002  # object: one of the jobs below
STARTUP = 1  # migrations and the first start's project, key and admin
LIVE_DEMO = 2
EVALUATORS = 3  # the online evaluators (`server/evaluator_worker.py`)


def lock_projects(conn: Connection, project_ids: Iterable[int]) -> None:
    """In `conn`'s transaction, wait for and take the write lock of each project (PostgreSQL; a
    no-op elsewhere). Released at commit or rollback."""
    if conn.dialect.name != "postgresql":
        return
    for project_id in sorted(set(project_ids)):  # one order for every process: no deadlock between them
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%(c)s, %(p)s)", {"c": PROJECT_WRITE, "p": project_id})


def lock_all_projects(conn: Connection) -> None:
    """`lock_projects` of every project (a rebuild of everything derived)."""
    if conn.dialect.name == "postgresql":
        lock_projects(conn, [row[0] for row in conn.exec_driver_sql("SELECT id FROM projects")])


@contextmanager
def held(engine: Engine, job: int) -> Iterator[None]:
    """Run the block while no other process runs `job` on this database (PostgreSQL: waits for
    it; elsewhere nothing to wait for)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_advisory_lock(%(c)s, %(j)s)", {"c": ONCE, "j": job})
        conn.commit()  # the session lock outlives the transaction; the connection stays out of the pool
        try:
            yield
        finally:
            conn.exec_driver_sql("SELECT pg_advisory_unlock(%(c)s, %(j)s)", {"c": ONCE, "j": job})
            conn.commit()


class Lease:
    """A job one process of the database runs at a time: `acquire` says whether this process
    holds it (taking it when free; a process that dies releases it with its connection, and a
    sibling's next `acquire` takes over). Not thread-safe: the job's own thread calls it."""

    def __init__(self, engine: Engine, job: int) -> None:
        self._engine, self._job = engine, job
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        if self._engine.dialect.name != "postgresql":
            return True
        if self._conn is not None:
            return True
        conn = self._engine.connect()
        try:
            taken = conn.exec_driver_sql(
                "SELECT pg_try_advisory_lock(%(c)s, %(j)s)", {"c": ONCE, "j": self._job}
            ).scalar_one()
            conn.commit()
        except Exception:
            conn.close()
            raise
        if not taken:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        if self._conn is not None:
            self._conn.invalidate()  # ends the session: its locks go with it, no locked session back in the pool
            self._conn.close()
            self._conn = None
