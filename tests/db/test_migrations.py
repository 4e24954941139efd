"""Alembic migrations produce exactly the declared schema, on both engines, idempotently."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from theodolite.storage.engine import Database, open_database
from theodolite.storage.migrations.runner import current_revision, head_revision
from theodolite.storage.tables import declared_for, metadata


def test_migrated_schema_matches_the_tables_module(database: Database) -> None:
    with database.connect() as conn:
        include = declared_for(database.dialect_name)
        context = MigrationContext.configure(conn, opts={"compare_type": False, "include_object": include})
        differences = compare_metadata(context, metadata)
    assert differences == []
    assert current_revision(database.engine) == head_revision()


def test_migrating_twice_applies_nothing(database_url: str) -> None:
    first = open_database(database_url, migrate=False)
    assert first.migrate() != []
    assert first.migrate() == []
    first.dispose()
