"""Copying a whole Theodolite database to another engine (`theodolite migrate-data`).

What is copied: every table of `tables.metadata`, row by row through SQLAlchemy's typed columns, so
each engine gets its own stored form (timestamps, Money, JSON, payloads: zstd on SQLite, jsonb on
PostgreSQL). The derived tables (trace_totals, trace_facets, trace_scores, group_rollups, rollups)
are copied too, not re-derived: their rows hold no engine-specific value, copying them is exact
(the API reads the same sums) and costs a fraction of re-deriving them (`rollups rebuild` reads
every observation again). The full-text index is the exception: FTS5 on SQLite, a tsvector table
on PostgreSQL (`search.py`), so it is re-derived on the target through `search_backfill`, the path
`theodolite search reindex` takes.

How: table by table in COPY_ORDER (the accounts and projects first, then the traces and what hangs
off them, then the derived tables; the schema declares no foreign keys, so the order only keeps a
partial copy sensible), in chunks read by primary key (keyset pagination: `WHERE key > last ORDER
BY key LIMIT n`, never OFFSET), each chunk inserted in one target transaction together with its
progress row in `migrate_data_progress`. The progress row keeps the last key *as the source read
it*: the engines order text differently (SQLite by bytes, PostgreSQL by the database's collation),
so the next chunk must be asked of the source in the source's own order. A run interrupted anywhere
continues from there; the table goes once the copy is verified.

Afterwards: the marks the target's writer starts from (`set_marks`: `search_progress`, the search
backfill range, `rollup_state`), the search index (`index_search`), and PostgreSQL's sequences
past the copied maxima (`finish`). The copy into ClickHouse (`storage/clickhouse/data_copy.py`)
reads its source through the same functions (`open_copy_source`, `read_chunk`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from theodolite.errors import ConfigurationError, StorageError
from theodolite.storage import tables
from theodolite.storage.codec import dumps_json
from theodolite.storage.dictionaries import load_dictionaries
from theodolite.storage.engine import Database, describe_url, normalise_url, open_database
from theodolite.storage.migrations.runner import alembic_config, current_revision, head_revision
from theodolite.storage.search import backfill_search, indexed_below, record_indexed, record_last_mark
from theodolite.storage.sql_store import SqlTraceStore
from theodolite.storage.types import Payload
from theodolite.storage.writer_lease import WriterLease

DEFAULT_CHUNK_ROWS = 5_000

# Copied in this order; every table of `tables.metadata` is here or in MARK_TABLES (a test checks).
COPY_ORDER = (
    "projects",
    "users",
    "project_members",
    "auth_sessions",
    "api_keys",
    "model_prices",
    "datasets",
    "dataset_versions",
    "dataset_items",
    "experiments",
    "experiment_runs",
    "annotation_queues",
    "annotation_queue_items",
    "annotation_reviews",
    "annotation_claims",
    "score_configs",
    "evaluator_rules",
    "evaluator_progress",
    "payload_dictionaries",
    "traces",
    "observations",
    "observation_payloads",
    "scores",
    "trace_facets",
    "trace_totals",
    "trace_scores",
    "group_rollups",
    "rollups",
)
# One-row marks a new database already has (its migrations insert them): set by `set_marks` for the
# target's own state, not copied row by row.
MARK_TABLES = ("search_backfill", "search_progress", "rollup_state")
MARKS_STEP = "(marks)"  # the progress row of `set_marks`

# The copy's progress, in the target only while a copy is under way (not in `tables.metadata`:
# it is no part of the schema; dropped once the copy is verified).
_progress_metadata = MetaData()
progress = Table(
    "migrate_data_progress",
    _progress_metadata,
    Column("table_name", String(64), primary_key=True),
    Column("source", Text, nullable=False),
    Column("last_key", Text),  # JSON list of the last copied row's key, as the source read it
    Column("rows_copied", BigInteger, nullable=False),
    Column("done", Boolean, nullable=False),
)

# Where a value may have moved past the observations' seqs: marks the writer hands out from
# `observation_seq` (PostgreSQL) or max(seq) + 1 (SQLite).
_MARK_COLUMNS = (
    ("observations", "seq"),
    ("traces", "timestamp_seq"),
    ("traces", "changed_seq"),
    ("trace_totals", "changed_seq"),
    ("trace_scores", "changed_seq"),
    ("group_rollups", "changed_seq"),
)


@dataclass
class TableStep:
    name: str
    total: int  # rows in the source
    copied: int  # rows already in the target (a resumed copy)
    done: bool


@dataclass
class TableCount:
    name: str
    source: int
    target: int


def checked_source_url(url: str) -> str:
    """A --from URL in SQLAlchemy's form; ConfigurationError (one line) when it is none."""
    return _checked_url(url, "from")


def _checked_url(url: str, role: str) -> str:
    try:
        return normalise_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(
            f"--{role}: {url!r} is not a database URL; use sqlite:///path/to/file.db or postgresql://user@host/db"
        ) from exc
    except ConfigurationError as exc:
        raise ConfigurationError(f"--{role}: {exc.message}") from exc


def _identity(url: str) -> tuple[Any, ...]:
    """What names one database: a SQLite file's resolved path, a PostgreSQL server and database."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        return ("sqlite", str(Path(parsed.database or "").expanduser().resolve()))
    return ("postgresql", parsed.host or "localhost", parsed.port or 5432, parsed.database)


@contextmanager
def reported_as_stopped() -> Iterator[None]:
    """A database lost half-way becomes one line (StorageError) saying the copy can continue: what
    was copied stays, and counts."""
    try:
        yield
    except SQLAlchemyError as exc:
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["unknown"])[0][:200]
        raise StorageError(f"the copy stopped: {reason}; run the same command again to continue") from exc


class DataCopy:
    """One copy from `source_url` to `target_url`. Use: `open()`, `steps()`, `copy_table()` for each
    step, `set_marks()`, `index_search()`, `finish()`, `verify()`, `close()` (also after an error).
    Blocks throughout."""

    def __init__(self, source_url: str, target_url: str, *, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> None:
        self.source_url = _checked_url(source_url, "from")
        self.target_url = _checked_url(target_url, "to")
        if _identity(self.source_url) == _identity(self.target_url):
            raise ConfigurationError(f"--from and --to name the same database ({describe_url(self.source_url)})")
        if chunk_rows < 1:
            raise ConfigurationError("--chunk-rows must be at least 1")
        self.chunk_rows = chunk_rows
        self.source_name = source_name(self.source_url)
        self.source: Database | None = None
        self.target: Database | None = None
        self._leases: list[WriterLease] = []
        self.resumed = False

    # -- opening -------------------------------------------------------------------------------

    def open(self, *, restart: bool = False) -> None:
        """Open both databases: the source must be at this release's schema revision; the target is
        created or migrated, and must be empty or hold a copy from this source under way (`restart`:
        from any source, emptied first). On SQLite the writer's lease is taken on both."""
        self.source, leases = open_copy_source(self.source_url)
        self._leases.extend(leases)
        self.target = _open_target(self.target_url)
        if self.target.path is not None:
            self._leases.append(WriterLease(self.target.path))
        with self.target.write_transaction() as conn:
            has_progress = inspect(conn).has_table(progress.name)
            sources = set(conn.execute(select(progress.c.source)).scalars()) if has_progress else set()
            if not has_progress:
                holding = [name for name in COPY_ORDER if _has_rows(conn, tables.metadata.tables[name])]
                if holding:
                    raise ConfigurationError(
                        f"the target {describe_url(self.target_url)} already holds data "
                        f"({', '.join(holding[:4])}) that no copy put there; copy into a new, empty database"
                    )
            elif restart:
                self._empty_target(conn)
            elif sources and sources != {self.source_name}:
                raise ConfigurationError(
                    f"the target holds part of a copy from {', '.join(sorted(sources))}; run the same command "
                    "again to continue it, or add --restart to empty the target and copy from "
                    f"{self.source_name}"
                )
            else:
                self.resumed = bool(sources)
            progress.create(conn, checkfirst=True)
            if not self.resumed:
                conn.execute(delete(progress))
                conn.execute(
                    insert(progress),
                    [
                        {"table_name": name, "source": self.source_name, "rows_copied": 0, "done": False}
                        for name in (*COPY_ORDER, MARKS_STEP)
                    ],
                )

    def _empty_target(self, conn: Connection) -> None:
        for name in COPY_ORDER:
            conn.execute(delete(tables.metadata.tables[name]))
        _empty_search_index(conn)
        conn.execute(delete(progress))

    # -- copying -------------------------------------------------------------------------------

    def steps(self) -> list[TableStep]:
        source, target = self._databases()
        with source.connect() as conn:
            totals = {name: _count(conn, tables.metadata.tables[name]) for name in COPY_ORDER}
        with target.connect() as conn:
            rows = {row.table_name: row for row in conn.execute(select(progress))}
        return [TableStep(name, totals[name], rows[name].rows_copied, rows[name].done) for name in COPY_ORDER]

    def copy_table(self, name: str, on_rows: Callable[[int], None] | None = None) -> int:
        """Copy what is left of one table, a chunk per target transaction; returns the rows copied."""
        source, target = self._databases()
        table = tables.metadata.tables[name]
        key = list(table.primary_key.columns)
        write = _chunk_writer(_writer_table(table), target.engine.dialect)
        with target.connect() as conn:
            row = conn.execute(select(progress).where(progress.c.table_name == name)).one()
        if row.done:
            return 0
        last = decode_key(key, row.last_key)
        copied = 0
        while True:
            chunk = read_chunk(source, select(table), key, last, self.chunk_rows)
            with target.write_transaction() as conn:
                if chunk:
                    write(conn, chunk)
                    last = [chunk[-1][column.name] for column in key]
                conn.execute(
                    update(progress)
                    .where(progress.c.table_name == name)
                    .values(
                        last_key=encode_key(last),
                        rows_copied=progress.c.rows_copied + len(chunk),
                        done=len(chunk) < self.chunk_rows,
                    )
                )
            copied += len(chunk)
            if on_rows is not None and chunk:
                on_rows(len(chunk))
            if len(chunk) < self.chunk_rows:
                return copied

    def set_marks(self) -> None:
        """Set the target's marks (`_set_marks`) once, after the tables: the search backfill's range
        over the copied observations, the SQLite follower's start, `rollup_state`."""
        source, target = self._databases()
        with target.connect() as conn:
            marks_done = conn.execute(select(progress.c.done).where(progress.c.table_name == MARKS_STEP)).scalar_one()
        if marks_done:
            return
        with source.connect() as conn:
            rollup_states = [dict(r._mapping) for r in conn.execute(select(tables.rollup_state))]
        with target.write_transaction() as conn:
            self._set_marks(conn, rollup_states)
            conn.execute(update(progress).where(progress.c.table_name == MARKS_STEP).values(done=True))

    def index_search(self, on_chunk: Callable[[int], None] | None = None) -> int:
        """Build the target's search index from its payloads (resumable itself); returns documents written."""
        _, target = self._databases()
        return backfill_search(target, on_chunk=on_chunk)

    def finish(self) -> None:
        """PostgreSQL: the sequences past the copied maxima. Safe to run again."""
        _, target = self._databases()
        if target.dialect_name == "postgresql":
            with target.write_transaction() as conn:
                _move_sequences(conn)

    def search_to_index(self) -> int:
        """Seqs the search backfill has left (an upper bound, for a progress bar)."""
        _, target = self._databases()
        with target.connect() as conn:
            row = conn.execute(select(tables.search_backfill.c.next_seq, tables.search_backfill.c.end_seq)).first()
        return 0 if row is None else max(0, int(row.end_seq) - int(row.next_seq))

    def _set_marks(self, conn: Connection, rollup_states: list[dict[str, Any]]) -> None:
        last_seq = conn.execute(select(func.max(tables.observations.c.seq))).scalar() or 0
        # The SQLite writer numbers from here (`SqlWriter._next_seq`); everything below is derived
        # (copied), so its follower must start here, not re-derive (and re-count) the copy.
        # Every mark the copy holds (a trace's, a score's) is at or below `last_mark` from now on: a
        # list's snapshot and the writer's next seq are above it.
        marks = [conn.execute(select(func.max(tables.metadata.tables[t].c[c]))).scalar() or 0 for t, c in _MARK_COLUMNS]
        record_last_mark(conn, max(marks))
        next_seq = max(last_seq, *marks) + 1
        _empty_search_index(conn)
        conn.execute(delete(tables.search_backfill))
        conn.execute(insert(tables.search_backfill).values(id=1, next_seq=0, end_seq=last_seq + 1))
        if conn.dialect.name == "sqlite":
            record_indexed(conn, max(next_seq, indexed_below(conn)))
        conn.execute(delete(tables.rollup_state))
        if rollup_states:
            conn.execute(insert(tables.rollup_state), rollup_states)

    # -- checking ------------------------------------------------------------------------------

    def verify(self) -> list[TableCount]:
        """Rows per table on both sides; raises StorageError if any differs. Drops the progress table
        once they all match: the copy is complete."""
        source, target = self._databases()
        with source.connect() as conn:
            before = {name: _count(conn, tables.metadata.tables[name]) for name in COPY_ORDER}
        with target.connect() as conn:
            after = {name: _count(conn, tables.metadata.tables[name]) for name in COPY_ORDER}
        counts = [TableCount(name, before[name], after[name]) for name in COPY_ORDER]
        wrong = [count for count in counts if count.source != count.target]
        if wrong:
            listed = ", ".join(f"{c.name} {c.source:,} -> {c.target:,}" for c in wrong)
            raise StorageError(
                f"the copy's row counts differ ({listed}): did something write the source meanwhile? "
                "run again with --restart"
            )
        with target.write_transaction() as conn:
            progress.drop(conn, checkfirst=True)
        return counts

    def close(self) -> None:
        for lease in self._leases:
            lease.release()
        self._leases.clear()
        for database in (self.source, self.target):
            if database is not None:
                database.dispose()

    def _databases(self) -> tuple[Database, Database]:
        if self.source is None or self.target is None:
            raise RuntimeError("DataCopy.open() first")
        return self.source, self.target


def source_name(url: str) -> str:
    """The source as the progress rows name it (a SQLite file by its resolved path, however spelled)."""
    name = describe_url(url)
    return f"sqlite:///{_identity(url)[1]}" if name.startswith("sqlite") else name


def open_copy_source(url: str) -> tuple[Database, list[WriterLease]]:
    """The source of a copy (to any engine): at this release's schema revision, its pending
    derivations done (SQLite), its writer's lease taken (SQLite; release them after the copy), its
    payload dictionaries loaded so that payloads read back as documents."""
    source = _open_source(url)
    leases = []
    try:
        if source.path is not None:
            _finish_pending_derivations(source)
            leases.append(WriterLease(source.path))
        load_dictionaries(source)
    except Exception:
        for lease in leases:
            lease.release()
        source.dispose()
        raise
    return source, leases


def read_chunk(
    source: Database, statement: Any, key: list[Column[Any]], last: list[Any] | None, chunk_rows: int
) -> list[dict[str, Any]]:
    """The next `chunk_rows` rows of `statement` after the key `last` (None: from the start), in the
    source's own key order: keyset pagination, never OFFSET."""
    query = statement.order_by(*key).limit(chunk_rows)
    if last is not None:
        query = query.where(tuple_(*key) > tuple_(*last) if len(key) > 1 else key[0] > last[0])
    with source.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def _open_source(url: str) -> Database:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and not Path(parsed.database or "").expanduser().is_file():
        raise ConfigurationError(f"--from: no database file at {Path(parsed.database or '').expanduser()}")
    database = Database(url, create=False)
    try:
        database.check_connection()
        revision = current_revision(database.engine)
    except SQLAlchemyError as exc:
        database.dispose()
        raise StorageError(f"cannot read the source {describe_url(url)}: {str(exc).splitlines()[0][:200]}") from exc
    except Exception:
        database.dispose()
        raise
    if revision != head_revision():
        database.dispose()
        raise ConfigurationError(
            f"the source {describe_url(url)} is at schema revision {revision or '(none)'}, this release copies "
            f"revision {head_revision()}: run `theodolite migrate --database-url …` on it with this release first "
            "(or use the release that wrote it)"
        )
    return database


def _open_target(url: str) -> Database:
    database = Database(url)
    try:
        database.check_connection()
        revision = current_revision(database.engine)
        known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if revision is not None and revision not in known:
            raise ConfigurationError(
                f"the target {describe_url(url)} is at schema revision {revision}, newer than this release knows"
            )
    except SQLAlchemyError as exc:
        database.dispose()
        raise StorageError(f"cannot open the target {describe_url(url)}: {str(exc).splitlines()[0][:200]}") from exc
    except Exception:
        database.dispose()
        raise
    database.dispose()
    return open_database(url)


def _finish_pending_derivations(database: Database) -> None:
    """A SQLite source whose server stopped before deriving its last commits (search documents,
    trace totals, rollups) gets them derived first, as the server does when it starts again: the
    copy takes the derived tables as they are."""
    with database.connect() as conn:
        last = conn.execute(select(func.max(tables.observations.c.seq))).scalar() or 0
        mark = indexed_below(conn)
    if mark > last:
        return
    writer = SqlTraceStore(database).make_writer()  # takes (and on close releases) the writer's lease
    try:
        writer.catch_up()
    finally:
        writer.close()


def _writer_table(table: Table) -> Table:
    """The table for inserts: its JSON columns write Python None as SQL NULL (what the ingest
    writer stores), not as JSON `null`."""
    copy = table.to_metadata(MetaData())
    for column in copy.columns:
        if table.c[column.name].type is tables.JsonDocument:
            column.type = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    return copy


def _chunk_writer(table: Table, dialect: Any) -> Callable[[Connection, list[dict[str, Any]]], None]:
    """How a chunk is inserted: a bulk INSERT (executemany); on PostgreSQL COPY, with each value
    made by the column type's bind processing as the INSERT would (`_postgres_value`). Measured from
    SQLite on a 21,000-trace demo (553,000 rows): the tables took 24.7 s with executemany, 12.6 s
    with COPY."""
    if dialect.name != "postgresql":
        statement = insert(table)
        return lambda conn, chunk: conn.execute(statement, chunk) and None
    names = [column.name for column in table.columns]
    makers = [_postgres_value(tables.metadata.tables[table.name].c[name].type, dialect) for name in names]
    preparer = dialect.identifier_preparer
    quoted = ", ".join(preparer.quote(name) for name in names)
    command = f"COPY {preparer.format_table(table)} ({quoted}) FROM STDIN"

    def write(conn: Connection, chunk: list[dict[str, Any]]) -> None:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(command) as copy:
            for row in chunk:
                copy.write_row([make(row[name]) for make, name in zip(makers, names, strict=True)])

    return write


def _postgres_value(column_type: Any, dialect: Any) -> Callable[[Any], Any]:
    """What COPY sends for a value of this column. PostgreSQL's text and jsonb cannot hold U+0000,
    which SQLite stored before ingestion replaced it: it becomes U+FFFD (the replacement character),
    as ingestion now stores it (`nul_characters.py`; `dumps_json` replaces it in JSON), the one
    change a copy makes."""
    if column_type is tables.JsonDocument or isinstance(column_type, Payload):

        def json_text(value: Any) -> Any:
            return None if value is None else dumps_json(value)

        return json_text
    process = column_type.dialect_impl(dialect).bind_processor(dialect)

    def plain(value: Any) -> Any:
        if value is not None and process is not None:
            value = process(value)
        return value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value

    return plain


def encode_key(values: list[Any] | None) -> str | None:
    if values is None:
        return None
    return json.dumps([value.isoformat() if isinstance(value, datetime) else value for value in values])


def decode_key(key: list[Column[Any]], stored: str | None) -> list[Any] | None:
    if stored is None:
        return None
    values = json.loads(stored)
    return [
        datetime.fromisoformat(value) if isinstance(column.type, tables.UtcDateTime) else value
        for column, value in zip(key, values, strict=True)
    ]


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _has_rows(conn: Connection, table: Table) -> bool:
    return conn.execute(select(text("1")).select_from(table).limit(1)).first() is not None


def _empty_search_index(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
    else:
        conn.exec_driver_sql("DELETE FROM search_documents")


def _move_sequences(conn: Connection) -> None:
    """PostgreSQL: each serial column's sequence past its copied maximum, `observation_seq` past
    every mark the writer handed out from it."""
    for table in tables.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
        ).scalar()
        if sequence is not None:
            _set_sequence(conn, sequence, conn.execute(select(func.max(column))).scalar() or 0)
    marks = [conn.execute(select(func.max(tables.metadata.tables[t].c[c]))).scalar() or 0 for t, c in _MARK_COLUMNS]
    _set_sequence(conn, tables.observation_seq.name, max(marks))


def _set_sequence(conn: Connection, sequence: str, last: int) -> None:
    """nextval() gives last + 1 from now on (1 on an empty table)."""
    conn.execute(
        text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
        {"s": sequence, "v": max(int(last), 1), "called": last > 0},
    )


__all__ = [
    "COPY_ORDER", "MARK_TABLES", "DataCopy", "TableCount", "TableStep", "checked_source_url", "decode_key",
    "encode_key", "open_copy_source", "progress", "read_chunk", "source_name",
]  # fmt: skip
