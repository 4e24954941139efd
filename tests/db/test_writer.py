"""The single writer on a real SQLite file and a real PostgreSQL: merging, dedup, isolation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.support.builders import T0, new_id, prepared, trace_batch
from theodolite.model import Batch, Observation, Trace
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.writer import SqlWriter, count_rows


def write(database: Database, *items: tuple[int, Batch]) -> list:
    writer = SqlWriter(database)
    try:
        result = writer.commit([prepared(database, project, batch) for project, batch in items])
        writer.catch_up()  # SQLite derives totals and the search index after the commit
        return result
    finally:
        writer.close()


def trace_row(database: Database, trace_id: str):
    with database.connect() as conn:
        return conn.execute(select(tables.traces).where(tables.traces.c.id == trace_id)).one()


def test_batch_is_stored_with_payloads_apart(database: Database) -> None:
    project, _ = get_or_create_project(database, "p")
    batch = trace_batch()
    assert write(database, (project, batch)) == [[]]
    assert count_rows(database, "traces") == 1
    assert count_rows(database, "observations") == 2
    assert count_rows(database, "observation_payloads") == 2
    with database.connect() as conn:
        o, p = tables.observations, tables.observation_payloads
        payload = conn.execute(
            select(p.c.payload).join(o, o.c.seq == p.c.observation_seq).where(o.c.id == batch.observations[1].id)
        ).scalar_one()
    assert payload["input"] == [{"role": "user", "content": "hi"}]
    assert payload["output"] == [{"role": "assistant", "content": "hello"}]
    # Bulk-written values read back through the column types: times, JSON, money.
    with database.connect() as conn:
        llm = conn.execute(
            select(tables.observations).where(tables.observations.c.id == batch.observations[1].id)
        ).one()
    assert llm.start_time == batch.observations[1].start_time
    assert llm.calculated_total_cost == Decimal("0.001")
    assert llm.model_parameters is None and llm.total_tokens == 17
    row = trace_row(database, batch.traces[0].id)
    assert row.metadata == {"agent": "atlas"} and row.tags == [] and row.timestamp == T0


def test_group_commit_of_many_requests_and_resend_stores_once(database: Database) -> None:
    project, _ = get_or_create_project(database, "p")
    batches = [trace_batch() for _ in range(20)]
    write(database, *[(project, b) for b in batches])
    # A client retry, in a later transaction and twice within one: stored once, flagged as such.
    writer = SqlWriter(database)
    retried = [prepared(database, project, b) for b in batches[:5]]
    again = prepared(database, project, batches[0])
    assert writer.commit([*retried, again]) == [[]] * 6
    writer.close()
    assert all(item.duplicate_ids == {o.id for o in b.observations} for item, b in zip(retried, batches, strict=False))
    assert again.duplicate_ids == {o.id for o in batches[0].observations}
    assert count_rows(database, "traces") == 20
    assert count_rows(database, "observations") == 40
    assert count_rows(database, "observation_payloads") == 40
    with database.connect() as conn:
        seqs = conn.execute(select(tables.observations.c.seq).order_by(tables.observations.c.seq)).scalars().all()
    assert len(set(seqs)) == 40  # one seq each, assigned by the writer


def test_duplicate_spans_within_one_new_trace_are_stored_once(database: Database) -> None:
    project, _ = get_or_create_project(database, "p")
    batch = trace_batch()
    first = prepared(database, project, batch)
    second = prepared(database, project, batch)  # the same request twice in one transaction
    writer = SqlWriter(database)
    writer.commit([first, second])
    writer.catch_up()
    writer.close()
    assert (first.duplicate_ids, second.duplicate_ids) == (set(), {o.id for o in batch.observations})
    assert count_rows(database, "observations") == 2 and count_rows(database, "observation_payloads") == 2


def test_trace_parts_in_any_order_merge_into_one_trace(database: Database) -> None:
    project, _ = get_or_create_project(database, "p")
    trace_id = new_id(16)
    root_id = new_id(8)
    child = Observation(
        id=new_id(8),
        trace_id=trace_id,
        parent_observation_id=root_id,
        start_time=T0 + timedelta(seconds=1),
        name="child",
    )
    root = Observation(id=root_id, trace_id=trace_id, start_time=T0, name="root")
    # The child arrives first, in its own request, with tags and a user.
    write(
        database,
        (
            project,
            Batch(
                traces=[
                    Trace(
                        id=trace_id,
                        timestamp=T0 + timedelta(seconds=1),
                        name="child",
                        user_id="u1",
                        tags=["a"],
                        metadata={"x": 1},
                    )
                ],
                observations=[child],
            ),
        ),
    )
    first = trace_row(database, trace_id)
    assert (first.name, first.root_observation_id) == ("child", None)
    # Then the root, later, with more tags and a session.
    write(
        database,
        (
            project,
            Batch(
                traces=[
                    Trace(
                        id=trace_id,
                        timestamp=T0,
                        name="root",
                        session_id="s1",
                        tags=["b", "a"],
                        metadata={"y": 2},
                        is_root_seen=True,
                        root_observation_id=root_id,
                    )
                ],
                observations=[root],
            ),
        ),
    )
    row = trace_row(database, trace_id)
    assert row.name == "root"
    assert row.root_observation_id == root_id
    assert row.timestamp == T0
    assert (row.user_id, row.session_id) == ("u1", "s1")
    assert row.tags == ["a", "b"]
    assert row.metadata == {"x": 1, "y": 2}
    assert row.created_at == first.created_at
