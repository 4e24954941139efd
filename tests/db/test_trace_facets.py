"""`trace_facets` as the writer keeps it equals what the migration derives from stored observations,
on both engines: a database upgraded with data in it filters like one that was written fresh."""

from __future__ import annotations

import importlib
from datetime import timedelta

from sqlalchemy import delete, select, text

from tests.support.builders import T0, prepared, trace_batch
from theodolite.model import Level
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.projects import get_or_create_project
from theodolite.storage.writer import SqlWriter

migration = importlib.import_module("theodolite.storage.migrations.versions.0005_read_indexes")


def _facets(database: Database) -> list[tuple]:
    f = tables.trace_facets
    with database.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(select(f)))


def test_the_migration_backfills_what_the_writer_writes(database: Database) -> None:
    project, _ = get_or_create_project(database, "p")
    batches = [
        trace_batch(at=T0, model="gpt-4o-mini", tags=["prod", "beta"]),
        trace_batch(at=T0 + timedelta(minutes=1), model="claude-sonnet-4-5", level=Level.ERROR),
        trace_batch(at=T0 + timedelta(minutes=2), model="m" * 300, tags=["t" * 300]),  # too long to index
    ]
    writer = SqlWriter(database)
    writer.commit([prepared(database, project, batch) for batch in batches])
    writer.close()
    written = _facets(database)
    assert {(kind, value) for _, kind, value, _, _ in written} == {
        ("model", "gpt-4o-mini"),
        ("model", "claude-sonnet-4-5"),
        ("level", "ERROR"),
        ("tag", "prod"),
        ("tag", "beta"),
    }
    with database.write_transaction() as conn:
        conn.execute(delete(tables.trace_facets))
        conn.execute(text(migration.BACKFILL))
        conn.execute(text(migration.BACKFILL_TAGS[database.dialect_name]))
    assert _facets(database) == written


def test_an_owners_spans_arriving_behind_an_intruders_are_indexed(database: Database) -> None:
    # One transaction where another project's part of a stored trace comes first: that part is
    # refused, the owner's new spans are stored under the stored trace, with their facets.
    mine, _ = get_or_create_project(database, "mine")
    theirs, _ = get_or_create_project(database, "theirs")
    first = trace_batch(at=T0, model="gpt-4o-mini")
    trace_id = first.traces[0].id
    writer = SqlWriter(database)
    writer.commit([prepared(database, mine, first)])
    intruder = trace_batch(trace_id=trace_id, at=T0, model="intruder-model")
    more = trace_batch(trace_id=trace_id, at=T0 + timedelta(seconds=5), model="claude-sonnet-4-5")
    rejections = writer.commit([prepared(database, theirs, intruder), prepared(database, mine, more)])
    writer.close()
    assert len(rejections[0]) == 2 and rejections[1] == []
    assert {(project, value) for project, kind, value, _, _ in _facets(database) if kind == "model"} == {
        (mine, "gpt-4o-mini"),
        (mine, "claude-sonnet-4-5"),
    }
