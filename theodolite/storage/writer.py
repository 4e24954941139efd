"""The single writer: commits many requests' batches in one transaction (group commit).

Only the ingestion pipeline's writer thread calls `SqlWriter.commit`. One writer is what SQLite
allows anyway, and on PostgreSQL it turns many small transactions into few large ones. Batches
arrive already encoded (`rows.prepare_batch`), so this thread spends its time in the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from theodolite.errors import StorageError
from theodolite.model import Rejection, Trace, merge_trace
from theodolite.storage import tables
from theodolite.storage.bulk import BulkInsert
from theodolite.storage.checkpointer import WalCheckpointer
from theodolite.storage.codec import ValueCodec
from theodolite.storage.engine import Database
from theodolite.storage.rows import PreparedBatch, row_to_trace, trace_to_row
from theodolite.storage.upserts import insert_ignoring_duplicates, insert_replacing

# SQLite allows 32,766 bound parameters per statement; 500 ids stays far below on every engine.
ID_CHUNK = 500


class SqlWriter:
    """Writes PreparedBatches to a SQL database. Not thread-safe: one writer thread owns it."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.dialect = database.dialect_name
        self.codec = ValueCodec(self.dialect)
        self._conn = database.writer_connection()
        self._checkpointer: WalCheckpointer | None = None
        if self.dialect == "sqlite":
            self._pragma("wal_autocheckpoint=0")
            self._checkpointer = WalCheckpointer(database)
            self._checkpointer.start()
        dialect = database.engine.dialect

        def bulk(table: Any, statement: Any) -> BulkInsert:
            return BulkInsert(table, statement, dialect)

        # Duplicates are filtered before the insert (`_stored_span_ids`); ignoring conflicts on
        # (trace_id, id) only covers another server writing the same span to one PostgreSQL.
        self._insert_observations = bulk(
            tables.observations, insert_ignoring_duplicates(tables.observations, self.dialect, on=("trace_id", "id"))
        )
        self._insert_payloads = bulk(tables.observation_payloads, insert(tables.observation_payloads))
        self._upsert_traces = bulk(tables.traces, insert_replacing(tables.traces, self.dialect))
        self._upsert_scores = bulk(tables.scores, insert_replacing(tables.scores, self.dialect))

    def commit(self, items: Sequence[PreparedBatch]) -> list[list[Rejection]]:
        """Write every batch in one transaction; blocks until it is committed.

        Returns, per batch, what was rejected while writing (a trace id owned by another project).
        Raises StorageError if the transaction failed; then nothing of it was stored.
        """
        rejections: list[list[Rejection]] = [[] for _ in items]
        try:
            with self._conn.begin():
                owners, existing = self._write_traces(items)
                stored_spans = self._stored_span_ids(existing)
                observation_rows: list[dict[str, Any]] = []
                with_payload: list[tuple[dict[str, Any], Any]] = []
                score_rows: list[dict[str, Any]] = []
                for index, batch in enumerate(items):
                    for row, payload in zip(batch.observation_rows, batch.payloads, strict=True):
                        key = (row["trace_id"], row["id"])
                        if owners.get(key[0]) != batch.project_id:
                            rejections[index].append(
                                Rejection(row["id"], f"trace id {key[0]} belongs to another project")
                            )
                        elif key in stored_spans:
                            batch.duplicate_ids.add(row["id"])  # a retry: stored once, accepted again
                        else:
                            stored_spans.add(key)
                            observation_rows.append(row)
                            if payload is not None:
                                with_payload.append((row, payload))
                    score_rows.extend(batch.score_rows)
                self._number(observation_rows)
                self._insert_observations.execute(self._conn, observation_rows)
                self._insert_payloads.execute(
                    self._conn, [{"observation_seq": row["seq"], "payload": payload} for row, payload in with_payload]
                )
                self._upsert_scores.execute(self._conn, score_rows)
        except SQLAlchemyError as exc:
            # The client learns that nothing was stored and may retry; the driver's text (SQL,
            # parameters, class names) goes to the server log through the exception's cause.
            raise StorageError("database write failed: the request was not stored; retry later") from exc
        return rejections

    def _number(self, observation_rows: list[dict[str, Any]]) -> None:
        """Give each new observation its seq, in commit order."""
        if not observation_rows:
            return
        if self.dialect == "postgresql":
            seqs = self._conn.exec_driver_sql(
                "SELECT nextval('observation_seq') FROM generate_series(1, %(n)s)", {"n": len(observation_rows)}
            ).scalars()
        else:
            # The writer holds SQLite's write lock from BEGIN IMMEDIATE, so max(rowid) stays ours.
            last = self._conn.exec_driver_sql("SELECT max(seq) FROM observations").scalar() or 0
            seqs = iter(range(last + 1, last + 1 + len(observation_rows)))
        for row, seq in zip(observation_rows, seqs, strict=True):
            row["seq"] = seq

    def _stored_span_ids(self, trace_ids: list[str]) -> set[tuple[str, str]]:
        """(trace id, span id) already stored for these traces. Only traces that existed before this
        transaction can hold them, so the common case (a new trace) costs no query."""
        table = tables.observations
        found: set[tuple[str, str]] = set()
        for start in range(0, len(trace_ids), ID_CHUNK):
            query = select(table.c.trace_id, table.c.id).where(
                table.c.trace_id.in_(trace_ids[start : start + ID_CHUNK])
            )
            found.update((trace_id, span_id) for trace_id, span_id in self._conn.execute(query))
        return found

    def _write_traces(self, items: Sequence[PreparedBatch]) -> tuple[dict[str, int], list[str]]:
        """Merge this transaction's trace parts with the stored rows; returns trace id -> owner
        project, and the ids of the traces that were stored before."""
        parts: dict[str, tuple[int, Trace]] = {}
        for batch in items:
            for trace in batch.traces:
                seen = parts.get(trace.id)
                if seen is None:
                    parts[trace.id] = (batch.project_id, trace)
                elif seen[0] == batch.project_id:
                    parts[trace.id] = (batch.project_id, merge_trace(seen[1], trace))
                # else: two projects sent one trace id in one transaction; the first one owns it.
        owners = {trace_id: project for trace_id, (project, _) in parts.items()}
        stored = self._stored_traces(list(parts))
        now = datetime.now(UTC)
        rows = []
        for trace_id, (project_id, part) in parts.items():
            existing = stored.get(trace_id)
            created_at = None
            if existing is not None:
                if existing.project_id != project_id:
                    owners[trace_id] = existing.project_id
                    continue
                part = merge_trace(row_to_trace(existing), part)
                created_at = self.codec.time(existing.created_at)
            rows.append(trace_to_row(project_id, part, self.codec, created_at, now))
        self._upsert_traces.execute(self._conn, rows)
        return owners, [trace_id for trace_id in stored if owners[trace_id] == stored[trace_id].project_id]

    def _stored_traces(self, ids: list[str]) -> dict[str, Any]:
        table = tables.traces
        query = table.select().with_for_update() if self.dialect == "postgresql" else table.select()
        stored: dict[str, Any] = {}
        for start in range(0, len(ids), ID_CHUNK):
            for row in self._conn.execute(query.where(table.c.id.in_(ids[start : start + ID_CHUNK]))):
                stored[row.id] = row
        return stored

    def _pragma(self, setting: str) -> None:
        # On the DB-API connection: through SQLAlchemy it would open a transaction (autobegin).
        self._conn.connection.dbapi_connection.execute(f"PRAGMA {setting}")  # type: ignore[union-attr]

    def close(self) -> None:
        if self.dialect == "sqlite":
            self._pragma("wal_autocheckpoint=1000")  # the pooled connection lives on
        self._conn.close()
        if self._checkpointer is not None:
            self._checkpointer.stop()


def count_rows(database: Database, table_name: str) -> int:
    """Rows in one of our tables; for `doctor`, tests and benchmarks. Blocks."""
    table = tables.metadata.tables[table_name]
    with database.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
