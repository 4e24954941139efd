"""Alembic migrations produce exactly the declared schema, on both engines, idempotently."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, insert, inspect, select

from theodolite.storage import tables
from theodolite.storage.engine import Database, open_database
from theodolite.storage.migrations.runner import alembic_config, current_revision, head_revision
from theodolite.storage.tables import metadata


def test_migrated_schema_matches_the_tables_module(database: Database) -> None:
    with database.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    assert differences == []
    assert current_revision(database.engine) == head_revision()


def test_migrating_twice_applies_nothing(database_url: str) -> None:
    first = open_database(database_url, migrate=False)
    assert first.migrate() != []
    assert first.migrate() == []
    first.dispose()


def test_migrated_primary_keys_match_the_tables_module(database: Database) -> None:
    # Alembic's comparison does not look at primary keys; scores changed its key in a migration.
    inspector = inspect(database.engine)
    for table in metadata.sorted_tables:
        migrated = inspector.get_pk_constraint(table.name)["constrained_columns"]
        assert migrated == [column.name for column in table.primary_key.columns], table.name


def test_0004_keeps_scores_and_moves_those_naming_another_projects_trace(database_url: str) -> None:
    database = open_database(database_url, migrate=False)
    config = alembic_config()
    with database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
    now = datetime(2026, 11, 1, tzinfo=UTC)
    trace = {"id": "a" * 32, "project_id": 1, "timestamp": now, "tags": [], "created_at": now, "updated_at": now}
    scores = [
        {"id": "s-own", "project_id": 1, "trace_id": "a" * 32},
        {"id": "s-other", "project_id": 2, "trace_id": "a" * 32},
        {"id": "s-waiting", "project_id": 2, "trace_id": "b" * 32},
        {"id": "s-at", "project_id": 1, "trace_id": "x@y"},
    ]
    common = {"name": "q", "value": 1.0, "data_type": "NUMERIC", "source": "API", "timestamp": now, "created_at": now}
    old_scores = Table("scores", MetaData(), autoload_with=database.engine)
    with database.engine.begin() as conn:
        conn.execute(insert(Table("traces", MetaData(), autoload_with=conn)), [trace])
        conn.execute(insert(old_scores), [score | common for score in scores])
    database.migrate()
    with database.connect() as conn:
        rows = conn.execute(select(tables.scores.c.id, tables.scores.c.trace_id).order_by(tables.scores.c.id)).all()
        seq = conn.execute(select(tables.traces.c.timestamp_seq)).scalar_one()
    assert [tuple(row) for row in rows] == [
        ("s-at", "x@y@1"), ("s-other", "a" * 32 + "@2"), ("s-own", "a" * 32), ("s-waiting", "b" * 32),
    ]  # fmt: skip
    assert seq == 0
    database.dispose()
