"""Bulk inserts for the ingest writer: SQL compiled once by SQLAlchemy, values converted by the driver.

SQLAlchemy's per-row bind processing cost more than SQLite's own work (profiled with py-spy
under bench/ingest.py). Here the statement text still comes from SQLAlchemy, so each dialect's
SQL is generated, not written by hand, but rows go to `executemany` as plain dicts with named
parameters, converted by the adapters `storage.types` registers on the driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.dml import Insert


class BulkInsert:
    """One INSERT over every column of `table`, for executemany. Stateless after init."""

    def __init__(self, table: Table, statement: Insert, dialect: Dialect) -> None:
        columns = [column.name for column in table.columns]
        # Named parameters: sqlite3 then reads each row dict in C, with no per-value Python code.
        target = sqlite.dialect(paramstyle="named") if dialect.name == "sqlite" else dialect
        compiled = statement.compile(dialect=target, column_keys=columns)
        if compiled.positional:
            raise ValueError(f"{dialect.name}: bulk inserts need a named paramstyle")
        self.sql = str(compiled)
        self.columns = columns

    def execute(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        """executemany on the writer's connection, inside its open transaction. Every row dict
        must hold every column. Blocks."""
        if rows:
            conn.exec_driver_sql(self.sql, list(rows))
