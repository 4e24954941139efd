"""`trace_facets` as the writer keeps it equals what the migration derives from stored observations,
on both engines: a database upgraded with data in it filters like one that was written fresh."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text

from tests.support.builders import T0, new_id, prepared, trace_batch
from theodolite.model import Level
from theodolite.query.filters import TraceFilter
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.sql.queries.traces import list_traces
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
    # Another project's trace of the same wire id: its rows carry a qualified storage key.
    other, _ = get_or_create_project(database, "other")
    shared = trace_batch(trace_id=batches[0].traces[0].id, at=T0 - timedelta(minutes=1), tags=["prod"])
    writer = SqlWriter(database)
    writer.commit([prepared(database, project, batch) for batch in batches])
    writer.catch_up()
    writer.commit([prepared(database, other, shared)])
    writer.catch_up()
    writer.close()
    written = _facets(database)
    assert {(p, kind, value) for p, kind, value, _, _ in written if p == other} == {
        (other, "model", "gpt-4o-mini"),
        (other, "tag", "prod"),
    }
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


@pytest.mark.parametrize("b_first", [False, True])
@pytest.mark.parametrize("one_commit", [False, True])
def test_two_projects_with_one_trace_id_each_get_their_own_facets(
    database: Database, b_first: bool, one_commit: bool
) -> None:
    # Each project's trace of a shared wire id is its own (project, storage key) trace: its facets
    # are its own, the model and tag filters find it (driving or probed) and never the other's.
    a, _ = get_or_create_project(database, "a")
    b, _ = get_or_create_project(database, "b")
    trace_id = new_id(16)
    mine = trace_batch(trace_id=trace_id, at=T0, model="model-a", tags=["tag-a"], user_id="ua")
    theirs = trace_batch(trace_id=trace_id, at=T0, model="model-b", tags=["tag-b"], user_id="ub")
    # A late root span of b's trace moves its timestamp earlier: its facets move with it.
    late_root = trace_batch(trace_id=trace_id, at=T0 - timedelta(minutes=5), model="model-b2", user_id="ub")
    order = [(b, theirs), (a, mine)] if b_first else [(a, mine), (b, theirs)]
    writer = SqlWriter(database)
    try:
        if one_commit:
            writer.commit([prepared(database, project, batch) for project, batch in order])
            writer.catch_up()
        else:
            for project, batch in order:
                writer.commit([prepared(database, project, batch)])
                writer.catch_up()
        writer.commit([prepared(database, b, late_root)])
        writer.catch_up()
    finally:
        writer.close()

    with database.connect() as conn:
        traces = {row.id: (row.project_id, row.timestamp) for row in conn.execute(select(tables.traces))}
    facets = _facets(database)
    assert len(traces) == 2
    for project, _kind, _value, timestamp, key in facets:
        assert traces[key] == (project, timestamp)  # keyed by its own trace's storage key and timestamp
    assert {(project, kind, value) for project, kind, value, _, _ in facets} == {
        (a, "model", "model-a"),
        (a, "tag", "tag-a"),
        (b, "model", "model-b"),
        (b, "model", "model-b2"),
        (b, "tag", "tag-b"),
    }

    def found(project: int, **filters: object) -> list[str]:
        items, _ = list_traces(database, project, TraceFilter(**filters), limit=10)  # type: ignore[arg-type]
        return [item["id"] for item in items]

    for project, own, other, user in ((a, "a", "b", "ua"), (b, "b", "a", "ub")):
        for extra in ({}, {"user_id": user}, {"name": "handle_question"}):
            assert found(project, model=f"model-{own}", **extra) == [trace_id]
            assert found(project, tags=[f"tag-{own}"], **extra) == [trace_id]
            assert found(project, model=f"model-{other}", **extra) == []
            assert found(project, tags=[f"tag-{other}"], **extra) == []
    assert found(b, model="model-b", start=T0 - timedelta(minutes=6), end=T0 - timedelta(minutes=4)) == [trace_id]
    assert found(a, model="model-a", start=T0 - timedelta(minutes=6), end=T0 - timedelta(minutes=4)) == []


@pytest.mark.parametrize(
    "filters",
    [
        {"model": "gpt-4o-mini"},  # the facet's rows drive the list
        {"model": "gpt-4o-mini", "user_id": "u1"},  # the user's index drives, the facet is probed
        {"tags": ["prod"], "level": "ERROR"},  # the rarer of two facets drives
    ],
)
def test_facet_filtered_later_pages_leave_out_a_trace_a_late_span_moved(database: Database, filters: dict) -> None:
    # Another project stored every wire id first: this project's traces have qualified storage
    # keys, which the cursor carries and the list never shows.
    a, _ = get_or_create_project(database, "a")
    b, _ = get_or_create_project(database, "b")
    base = T0 + timedelta(days=1)
    batches = [
        trace_batch(at=base + timedelta(minutes=i), name=f"t{i}", tags=["prod"], level=Level.ERROR) for i in range(5)
    ]
    writer = SqlWriter(database)
    try:
        writer.commit([prepared(database, b, trace_batch(trace_id=batch.traces[0].id)) for batch in batches])
        writer.catch_up()
        writer.commit([prepared(database, a, batch) for batch in batches])
        writer.catch_up()
        page1, cursor = list_traces(database, a, TraceFilter(**filters), limit=3)
        assert [item["name"] for item in page1] == ["t4", "t3", "t2"]
        assert [item["id"] for item in page1] == [batch.traces[0].id for batch in batches[4:1:-1]]
        moved = batches[4].traces[0].id
        # A late span of t4 starts before every other trace: t4 now sorts below the cursor.
        late = trace_batch(trace_id=moved, at=base - timedelta(hours=1), name="t4", tags=["prod"], level=Level.ERROR)
        # A new trace placed below the cursor after page 1 is left out too.
        new = trace_batch(at=base - timedelta(hours=2), name="t-new", tags=["prod"], level=Level.ERROR)
        writer.commit([prepared(database, a, late), prepared(database, a, new)])
        writer.catch_up()
    finally:
        writer.close()
    page2, cursor2 = list_traces(database, a, TraceFilter(**filters), limit=3, cursor=cursor)
    assert [item["name"] for item in page2] == ["t1", "t0"] and cursor2 is None
    fresh, _ = list_traces(database, a, TraceFilter(**filters), limit=10)
    assert [item["name"] for item in fresh] == ["t3", "t2", "t1", "t0", "t4", "t-new"]


def test_a_tag_a_later_part_adds_to_a_stored_trace_is_filterable(database: Database) -> None:
    # Spans of one trace arrive in several commits; only the tags a later part adds get new facet
    # rows (the stored ones have theirs), and both kinds are found by the tags filter.
    project, _ = get_or_create_project(database, "p")
    first = trace_batch(at=T0, tags=["prod"])
    trace_id = first.traces[0].id
    later = trace_batch(trace_id=trace_id, at=T0 + timedelta(seconds=5), tags=["prod", "beta"])
    writer = SqlWriter(database)
    try:
        writer.commit([prepared(database, project, first)])
        writer.catch_up()
        writer.commit([prepared(database, project, later)])
        writer.catch_up()
    finally:
        writer.close()
    for tag in ("prod", "beta"):
        items, _ = list_traces(database, project, TraceFilter(tags=[tag]))
        assert [item["id"] for item in items] == [trace_id], tag
    assert {(kind, value) for _, kind, value, _, _ in _facets(database) if kind == "tag"} == {
        ("tag", "prod"),
        ("tag", "beta"),
    }
