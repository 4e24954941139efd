"""Bulk inserts for the ingest writer: SQL compiled once by SQLAlchemy, values encoded by us.

SQLAlchemy's per-row bind processing cost more than SQLite's own work (~60 us per row, measured
in the profile behind the core issue's closing note); the statement text still comes from
SQLAlchemy, so each dialect's SQL is generated, not written by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.dml import Insert

from theodolite.storage.types import bulk_encoder


class BulkInsert:
    """One INSERT statement over every column of `table`, for executemany. Stateless after init."""

    def __init__(self, table: Table, statement: Insert, dialect: Dialect) -> None:
        self.columns = [column.name for column in table.columns]
        compiled = statement.compile(dialect=dialect, column_keys=self.columns)
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        order = list(compiled.positiontup or []) if self.positional else self.columns
        self._keys = order
        self._encoders = [bulk_encoder(table.c[name], dialect.name) for name in order]

    def encode(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        keys, encoders = self._keys, self._encoders
        plan = list(zip(keys, encoders))
        if self.positional:
            return [tuple(row.get(k) if e is None else e(row.get(k)) for k, e in plan) for row in rows]
        return [{k: row.get(k) if e is None else e(row.get(k)) for k, e in plan} for row in rows]

    def execute(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        """executemany on the writer's connection, inside its open transaction. Blocks."""
        if rows:
            conn.exec_driver_sql(self.sql, self.encode(rows))
