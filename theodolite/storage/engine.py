"""Opening a database: URL normalisation, per-engine connection settings, migrations.

`Database` is the SQL connection holder (SQLAlchemy Core) that SQLite and PostgreSQL share. It makes
no writers: the trace store does (`storage/backend.TraceStore`), which keeps this module free of
an import of the writer (the writer's checkpointer imports this module).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, ExceptionContext, make_url

from theodolite.errors import ConfigurationError, ReadTimeoutError, ShuttingDownError, StorageError
from theodolite.storage.types import dumps_json, register_postgres_adapters

log = logging.getLogger(__name__)

# SQLite calls a read's budget check every this many virtual-machine steps (well under 1 ms).
SQLITE_PROGRESS_STEPS = 10_000
QUERY_CANCELED = "57014"  # PostgreSQL: statement_timeout or a cancel request


def normalise_url(url: str) -> str:
    """Accept the URLs users type (`postgresql://`) and pick the driver we ship (psycopg 3)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+pysqlite")
    if parsed.drivername.startswith("clickhouse"):
        raise ConfigurationError("ClickHouse is not supported yet; use sqlite:///path or postgresql://…")
    if parsed.drivername not in ("postgresql+psycopg", "sqlite+pysqlite"):
        raise ConfigurationError(
            f"unsupported database URL scheme {parsed.drivername!r}; use sqlite:///path or postgresql://…"
        )
    if parsed.drivername.startswith("sqlite") and not parsed.database:
        raise ConfigurationError("SQLite URL needs a file path: sqlite:///path/to/theodolite.db")
    return parsed.render_as_string(hide_password=False)


class Database:
    """An open database. Thread-safe: readers take pooled connections, the writer its own.

    `sqlite_cache_mib` applies to each SQLite connection; readers and the writer each hold one.
    `read_timeout_s` is the time budget of a read (`connect()`), None for none: SQLite stops the
    read's statements once its deadline has passed (a progress handler), PostgreSQL each statement
    that runs longer (`statement_timeout`); either way the read raises ReadTimeoutError. The
    writer's connection has no budget. `stop_reads()` stops every read in progress and refuses
    new ones (ShuttingDownError): the server calls it on SIGTERM.
    """

    def __init__(
        self, url: str, *, sqlite_cache_mib: int = 16, create: bool = True, read_timeout_s: float | None = None
    ) -> None:
        self.url = normalise_url(url)
        self.read_timeout_s = read_timeout_s
        self._reads_stopped = threading.Event()
        self._reads: set[Any] = set()  # DB-API connections of reads in progress
        self._reads_lock = threading.Lock()
        self.dialect_name = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        kwargs: dict[str, Any] = {"json_serializer": dumps_json, "future": True}
        if self.dialect_name == "sqlite":
            path = make_url(self.url).database
            if path and path != ":memory:":
                if not create:
                    _require_sqlite_file(Path(path).expanduser())
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.path: Path | None = Path(path) if path and path != ":memory:" else None
            # pysqlite's own transaction handling is off (autocommit); SQLAlchemy's events below
            # issue BEGIN IMMEDIATE so a writer never fails half-way on a lock upgrade.
            kwargs["connect_args"] = {"check_same_thread": False, "isolation_level": None, "timeout": 30}
        else:
            self.path = None
            kwargs["pool_pre_ping"] = True
            kwargs["pool_size"] = 5
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.dialect_name == "sqlite":
            self._configure_sqlite(sqlite_cache_mib)
        else:
            event.listen(self.engine, "connect", lambda dbapi_conn, _record: register_postgres_adapters(dbapi_conn))
        event.listen(self.engine, "handle_error", self._read_stopped_error)
        event.listen(self.engine.pool, "checkin", lambda dbapi_conn, _record: self._end_read(dbapi_conn))

    def _configure_sqlite(self, cache_mib: int) -> None:
        @event.listens_for(self.engine, "connect")
        def on_connect(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            # WAL: readers never block the writer; NORMAL: fsync at checkpoint, not every commit,
            # which is durable against process crashes (the committed WAL survives) and loses at
            # most the last commits on power loss.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute(f"PRAGMA cache_size=-{cache_mib * 1024}")
            cursor.execute("PRAGMA temp_store=MEMORY")
            # After a checkpoint resets the WAL, truncate the file back to 64 MiB at most.
            cursor.execute("PRAGMA journal_size_limit=67108864")
            cursor.close()

        @event.listens_for(self.engine, "begin")
        def on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("writer") else "BEGIN")

    def connect(self) -> Connection:
        """A pooled connection for reading, within the read budget. Blocks; call from a worker
        thread, not the event loop. Raises ShuttingDownError once `stop_reads()` was called."""
        if self._reads_stopped.is_set():
            raise ShuttingDownError("server is shutting down; not starting new reads")
        conn = self.engine.connect()
        if self.read_timeout_s is not None:
            self._start_read(conn)
        return conn

    def _start_read(self, conn: Connection) -> None:
        dbapi = conn.connection.dbapi_connection
        with self._reads_lock:
            self._reads.add(dbapi)
        if self.dialect_name == "sqlite":
            deadline = time.monotonic() + (self.read_timeout_s or 0)
            stopped = self._reads_stopped

            def over_budget() -> int:  # SQLite stops the statement when this returns non-zero
                return 1 if stopped.is_set() or time.monotonic() > deadline else 0

            dbapi.set_progress_handler(over_budget, SQLITE_PROGRESS_STEPS)  # type: ignore[union-attr]
        else:
            # SET LOCAL lasts until the read's transaction ends (the rollback when it is returned).
            milliseconds = max(1, int((self.read_timeout_s or 0) * 1000))
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {milliseconds}")

    def _end_read(self, dbapi: Any) -> None:
        with self._reads_lock:
            if dbapi not in self._reads:
                return  # the writer's, or a read without a budget
            self._reads.discard(dbapi)
        if self.dialect_name == "sqlite":
            dbapi.set_progress_handler(None, 0)

    @property
    def reads_in_progress(self) -> int:
        """Reads with a budget that have a connection now (for the health probe)."""
        with self._reads_lock:
            return len(self._reads)

    def stop_reads(self) -> None:
        """Stop every read in progress (it raises ShuttingDownError) and refuse new ones. Safe to
        call from a signal handler or another thread: it only flags and interrupts."""
        self._reads_stopped.set()
        with self._reads_lock:
            reads = list(self._reads)
        for dbapi in reads:
            try:
                dbapi.interrupt() if self.dialect_name == "sqlite" else dbapi.cancel()
            except Exception:  # the read may have ended meanwhile; nothing to stop then
                log.debug("could not interrupt a read", exc_info=True)

    def _read_stopped_error(self, context: ExceptionContext) -> Exception | None:
        """A read stopped by its budget or by stop_reads() becomes our error (the HTTP layer maps
        it to 503 + Retry-After); any other database error passes unchanged."""
        original = context.original_exception
        if context.connection is not None and context.connection.info.get("writer"):
            return None  # writes have no budget; a cancelled write stays a database error
        if self.dialect_name == "sqlite":
            stopped = isinstance(original, sqlite3.OperationalError) and str(original) == "interrupted"
        else:
            stopped = getattr(original, "sqlstate", None) == QUERY_CANCELED
        if not stopped:
            return None
        if self._reads_stopped.is_set():
            return ShuttingDownError("server is shutting down; the read was stopped")
        return ReadTimeoutError(
            f"the read took longer than its budget of {self.read_timeout_s:g} s (read_timeout_s) and was stopped; "
            "narrow the filters or the time range"
        )

    def writer_connection(self) -> Connection:
        """The connection of the single writer thread; its transactions take the write lock at BEGIN."""
        conn = self.engine.connect()
        conn.info["writer"] = True
        return conn

    @contextmanager
    def write_transaction(self) -> Iterator[Connection]:
        """A short write outside the ingest writer (keys, projects, dictionaries). Blocks.

        On SQLite it takes the write lock at BEGIN, so it waits for the ingest writer (busy
        timeout) instead of failing with "database is locked" when a read upgrades to a write.
        """
        with self.writer_connection() as conn, conn.begin():
            yield conn

    def check_connection(self) -> None:
        """Connect once. Raises StorageError (one line) when the database cannot be reached. Blocks."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with self.connect():
                pass
        except SQLAlchemyError as exc:
            raise _unreachable(self, exc) from exc

    def ping(self) -> None:
        """One round trip within the read budget (the health probe). Raises what the driver raised."""
        from sqlalchemy import text

        with self.connect() as conn:
            conn.execute(text("SELECT 1"))

    def migrate(self) -> list[str]:
        """Bring the schema to the newest revision; returns the revisions applied. Blocks.

        Raises StorageError when the database cannot be reached."""
        from sqlalchemy.exc import OperationalError

        from theodolite.storage.migrations.runner import upgrade_to_head

        try:
            return upgrade_to_head(self.engine)
        except OperationalError as exc:  # connection refused, unknown database, bad password, ...
            raise _unreachable(self, exc) from exc

    def size_bytes(self) -> int | None:
        """Bytes on disk (SQLite: the file and its WAL; PostgreSQL: pg_database_size). Blocks."""
        if self.dialect_name == "postgresql":
            from sqlalchemy import text

            with self.connect() as conn:
                return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
        if self.path is None:
            return None
        total = 0
        for suffix in ("", "-wal", "-shm"):
            candidate = Path(str(self.path) + suffix)
            if candidate.exists():
                total += candidate.stat().st_size
        return total

    def dispose(self) -> None:
        self.engine.dispose()


def _require_sqlite_file(path: Path) -> None:
    """A reading command must not leave an empty database behind a mistyped path: SQLite would
    create the file (and we its directory) on the first connection."""
    if not path.is_file():
        raise ConfigurationError(
            f"no Theodolite database at {path}: check --database-url / THEODOLITE_DATABASE_URL "
            "(`theodolite serve` or `theodolite migrate` creates one)"
        )


def open_existing_database(url: str, *, migrate: bool = False) -> Database:
    """An existing database, for commands that read (`keys list`, `costs report`, `doctor`) or
    change rows of one (`keys revoke`, `costs recompute`): a mistyped path creates nothing.

    Without `migrate` the schema is left as it is, and one older than the code is an error that
    says to run `theodolite migrate`. Raises ConfigurationError (missing SQLite file, old schema)
    or StorageError (unreachable server), each a one-line message without driver internals.
    Blocks: it connects once, so the command fails now rather than half-way.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from theodolite.storage.migrations.runner import current_revision, head_revision

    database = Database(url, create=False)
    try:
        database.check_connection()
        revision = current_revision(database.engine)
    except StorageError:
        database.dispose()
        raise
    except SQLAlchemyError as exc:
        database.dispose()
        raise _unreachable(database, exc) from exc
    if migrate:
        database.migrate()
    elif revision != head_revision():
        database.dispose()
        raise ConfigurationError(
            f"the database schema is at revision {revision or '(none)'}, this Theodolite needs {head_revision()}: "
            "run `theodolite migrate`"
        )
    return database


def _unreachable(database: Database, exc: Exception) -> StorageError:
    """One line for a database that cannot be opened: where (password masked) and the driver's
    first line of why; not SQLAlchemy's class names and background links."""
    reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["unreachable"])[0][:200]
    return StorageError(f"cannot open the database {describe_url(database.url)}: {reason}")


def describe_url(url: str) -> str:
    """A database URL for messages: password masked, driver left out."""
    parsed = make_url(url)
    return parsed.set(drivername=parsed.drivername.split("+")[0]).render_as_string(hide_password=True)


def open_database(
    url: str, *, sqlite_cache_mib: int = 16, migrate: bool = True, read_timeout_s: float | None = None
) -> Database:
    """Open (creating a SQLite file if needed) and migrate. Raises StorageError when the database
    cannot be reached. Blocks."""
    database = Database(url, sqlite_cache_mib=sqlite_cache_mib, read_timeout_s=read_timeout_s)
    if migrate:
        from theodolite.storage.migrations.runner import base_revision

        try:
            applied = database.migrate()
        except StorageError:
            database.dispose()
            raise
        if applied:
            # Creating a new database's schema is no news (a first start stays quiet); upgrading an
            # existing one is worth a line.
            new = applied[0] == base_revision()
            log.log(logging.DEBUG if new else logging.INFO, "applied migrations: %s", ", ".join(applied))
    return database


__all__ = ["Database", "describe_url", "open_database", "open_existing_database", "normalise_url"]
