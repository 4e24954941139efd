"""INSERT ... ON CONFLICT for each SQL engine: the one place where that dialect difference lives.

SQLite and PostgreSQL spell upserts identically in SQLAlchemy, but through different `insert`
constructors; everything that upserts asks this module for the statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def _insert(table: Table, dialect_name: str) -> postgresql.Insert | sqlite.Insert:
    return postgresql.insert(table) if dialect_name == "postgresql" else sqlite.insert(table)


def insert_ignoring_duplicates(table: Table, dialect_name: str, *, on: tuple[str, ...] | None = None) -> Insert:
    """Rows whose key (`on` columns, else the primary key) exists are skipped: a client's retry
    stores nothing twice."""
    key = [table.c[name] for name in on] if on else list(table.primary_key.columns)
    return _insert(table, dialect_name).on_conflict_do_nothing(index_elements=key)


def insert_replacing(
    table: Table, dialect_name: str, *, keep: tuple[str, ...] = ("created_at",), on: tuple[str, ...] | None = None
) -> Insert:
    """Rows whose key (`on` columns, else the primary key) exists are overwritten, except the
    key and the `keep` columns."""
    statement = _insert(table, dialect_name)
    key_columns = [table.c[name] for name in on] if on else list(table.primary_key.columns)
    skip = {column.name for column in key_columns} | {c.name for c in table.primary_key.columns} | set(keep)
    updates = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in skip}
    return statement.on_conflict_do_update(index_elements=key_columns, set_=updates)


def insert_adding(
    table: Table,
    dialect_name: str,
    *,
    add: tuple[str, ...],
    least: tuple[str, ...] = (),
    greatest: tuple[str, ...] = (),
) -> Insert:
    """Rows whose primary key exists are added to: `add` columns become the sum of the stored
    and the new value, `least` / `greatest` their minimum / maximum; other columns take the new
    value. For running totals kept by deltas (`trace_totals.py`)."""
    statement = _insert(table, dialect_name)
    smaller, larger = (func.min, func.max) if dialect_name == "sqlite" else (func.least, func.greatest)
    key = {c.name for c in table.primary_key.columns}
    updates: dict[str, Any] = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in key}
    updates.update({name: table.c[name] + statement.excluded[name] for name in add})
    updates.update({name: smaller(table.c[name], statement.excluded[name]) for name in least})
    updates.update({name: larger(table.c[name], statement.excluded[name]) for name in greatest})
    return statement.on_conflict_do_update(index_elements=list(table.primary_key.columns), set_=updates)
