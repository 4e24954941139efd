"""The single writer: commits many requests' batches in one transaction (group commit).

Only the ingestion pipeline's writer thread calls `SqlWriter.commit`. One writer is what SQLite
allows anyway, and on PostgreSQL it turns many small transactions into few large ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from theodolite.errors import StorageError
from theodolite.model import Batch, Rejection, Trace, merge_trace
from theodolite.storage import tables
from theodolite.storage.bulk import BulkInsert
from theodolite.storage.engine import Database
from theodolite.storage.rows import observation_to_row, payload_to_row, row_to_trace, score_to_row, trace_to_row
from theodolite.storage.types import payload_encoder
from theodolite.storage.upserts import insert_ignoring_duplicates, insert_replacing

# SQLite allows 32,766 bound parameters per statement; 500 ids stays far below on every engine.
ID_CHUNK = 500


class SqlWriter:
    """Writes Batches to a SQL database. Not thread-safe: one writer thread owns it."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.dialect = database.dialect_name
        self._conn = database.writer_connection()
        dialect = database.engine.dialect
        self._encode_payload = payload_encoder(self.dialect)
        self._insert_observations = BulkInsert(
            tables.observations, insert_ignoring_duplicates(tables.observations, self.dialect), dialect
        )
        self._insert_payloads = BulkInsert(
            tables.observation_payloads, insert_ignoring_duplicates(tables.observation_payloads, self.dialect), dialect
        )
        self._upsert_traces = BulkInsert(tables.traces, insert_replacing(tables.traces, self.dialect), dialect)
        self._upsert_scores = BulkInsert(tables.scores, insert_replacing(tables.scores, self.dialect), dialect)

    def commit(self, items: Sequence[tuple[int, Batch]]) -> list[list[Rejection]]:
        """Write every (project_id, batch) in one transaction; blocks until it is committed.

        Returns, per item, what was rejected while writing (a trace id owned by another project).
        Raises StorageError if the transaction failed; then nothing of it was stored.
        """
        now = datetime.now(UTC)
        rejections: list[list[Rejection]] = [[] for _ in items]
        try:
            with self._conn.begin():
                owners = self._write_traces(items, now)
                observation_rows: list[dict[str, Any]] = []
                payload_rows: list[dict[str, Any]] = []
                score_rows: list[dict[str, Any]] = []
                for index, (project_id, batch) in enumerate(items):
                    for obs in batch.observations:
                        if owners.get(obs.trace_id) != project_id:
                            rejections[index].append(
                                Rejection(obs.id, f"trace id {obs.trace_id} belongs to another project")
                            )
                            continue
                        observation_rows.append(observation_to_row(project_id, obs))
                        payload = payload_to_row(obs, self._encode_payload)
                        if payload is not None:
                            payload_rows.append(payload)
                    score_rows.extend(score_to_row(project_id, score, now) for score in batch.scores)
                self._insert_observations.execute(self._conn, observation_rows)
                self._insert_payloads.execute(self._conn, payload_rows)
                self._upsert_scores.execute(self._conn, score_rows)
        except SQLAlchemyError as exc:
            raise StorageError(f"database write failed: {exc.__class__.__name__}: {exc}") from exc
        return rejections

    def _write_traces(self, items: Sequence[tuple[int, Batch]], now: datetime) -> dict[str, int]:
        """Merge this transaction's trace parts with the stored rows; returns trace id -> owner project."""
        parts: dict[str, tuple[int, Trace]] = {}
        for project_id, batch in items:
            for trace in batch.traces:
                seen = parts.get(trace.id)
                if seen is None:
                    parts[trace.id] = (project_id, trace)
                elif seen[0] == project_id:
                    parts[trace.id] = (project_id, merge_trace(seen[1], trace))
                # else: two projects sent one trace id in one transaction; the first one owns it.
        owners = {trace_id: project for trace_id, (project, _) in parts.items()}
        ids = list(parts)
        stored: dict[str, Any] = {}
        query = tables.traces.select().with_for_update() if self.dialect == "postgresql" else tables.traces.select()
        for start in range(0, len(ids), ID_CHUNK):
            chunk = ids[start : start + ID_CHUNK]
            for row in self._conn.execute(query.where(tables.traces.c.id.in_(chunk))):
                stored[row.id] = row
        rows = []
        for trace_id, (project_id, part) in parts.items():
            existing = stored.get(trace_id)
            if existing is not None:
                if existing.project_id != project_id:
                    owners[trace_id] = existing.project_id
                    continue
                part = merge_trace(row_to_trace(existing), part)
            row = trace_to_row(project_id, part, now)
            if existing is not None:
                row["created_at"] = existing.created_at
            rows.append(row)
        self._upsert_traces.execute(self._conn, rows)
        return owners

    def close(self) -> None:
        self._conn.close()


def count_rows(database: Database, table_name: str) -> int:
    """Rows in one of our tables; for `doctor`, tests and benchmarks. Blocks."""
    table = tables.metadata.tables[table_name]
    from sqlalchemy import func

    with database.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
