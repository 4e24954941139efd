"""The trace store on a SQL database (SQLite or PostgreSQL): `backend.TraceStore` over one `Database`."""

from __future__ import annotations

from dataclasses import dataclass

from theodolite.storage.engine import Database
from theodolite.storage.writer import SqlWriter


@dataclass(frozen=True)
class SqlTraceStore:
    database: Database

    @property
    def dialect_name(self) -> str:
        return self.database.dialect_name

    def make_writer(self, *, document_worker_after_s: float | None = None) -> SqlWriter:
        """Takes the writer's lease (released on close). `document_worker_after_s`: see `SqlWriter`."""
        return SqlWriter(self.database, document_worker_after_s=document_worker_after_s)
