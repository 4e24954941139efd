"""Trace ids and scores are identified within their project, in the writer and every read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from tests.support.builders import T0, new_id, prepared, trace_batch
from theodolite.errors import NotFoundError
from theodolite.model import Batch, Score, ScoreDataType
from theodolite.query.filters import ObservationFilter, TraceFilter
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.sql.queries.observations import list_observations
from theodolite.storage.sql.queries.traces import get_trace, list_traces
from theodolite.storage.writer import SqlWriter


def commit(database: Database, *items: tuple[int, Batch]) -> list:
    writer = SqlWriter(database)
    try:
        result = writer.commit([prepared(database, project, batch) for project, batch in items])
        writer.catch_up()  # SQLite derives totals and the search index after the commit
        return result
    finally:
        writer.close()


def score(trace_id: str, value: float, score_id: str = "feedback-1") -> Batch:
    return Batch(
        scores=[
            Score(
                id=score_id, trace_id=trace_id, name="quality", timestamp=T0, value=value,
                data_type=ScoreDataType.NUMERIC, source="API",
            )
        ]
    )  # fmt: skip


def two_projects(database: Database) -> tuple[int, int]:
    return get_or_create_project(database, "a")[0], get_or_create_project(database, "b")[0]


def own_view(database: Database, project: int, trace_id: str) -> dict:
    trace = get_trace(database, project, trace_id)
    listed, _ = list_traces(database, project, TraceFilter(), limit=50)
    observations, _ = list_observations(database, project, ObservationFilter(trace_id=trace_id), limit=50)
    return {
        "name": trace["name"],
        "id": trace["id"],
        "tokens": trace["total_tokens"],
        "spans": sorted(node["id"] for node in trace["observations"])
        + sorted(child["id"] for node in trace["observations"] for child in node["children"]),
        "listed": [(item["id"], item["name"], item["total_tokens"]) for item in listed],
        "observations": sorted((item["trace_id"], item["id"]) for item in observations),
    }


def expected_view(batch: Batch, tokens: int) -> dict:
    trace_id = batch.traces[0].id
    root, llm = batch.observations
    return {
        "name": batch.traces[0].name,
        "id": trace_id,
        "tokens": tokens,
        "spans": [root.id, llm.id],
        "listed": [(trace_id, batch.traces[0].name, tokens)],
        "observations": sorted([(trace_id, root.id), (trace_id, llm.id)]),
    }


@pytest.mark.parametrize("b_first", [False, True])
@pytest.mark.parametrize("one_commit", [False, True])
def test_two_projects_store_one_trace_id_apart(database: Database, b_first: bool, one_commit: bool) -> None:
    a, b = two_projects(database)
    trace_id = new_id(16)
    mine = trace_batch(trace_id=trace_id, name="checkout", agent="atlas", tokens=(10, 5))
    theirs = trace_batch(trace_id=trace_id, name="hijack", agent="evil", tokens=(100, 50), user_id="evil")
    order = [(b, theirs), (a, mine)] if b_first else [(a, mine), (b, theirs)]
    if one_commit:
        assert commit(database, *order) == [[], []]
    else:
        assert [commit(database, item) for item in order] == [[[]], [[]]]
    # Again, as a retrying client would: stored once.
    commit(database, *order)
    assert own_view(database, a, trace_id) == expected_view(mine, 15)
    assert own_view(database, b, trace_id) == expected_view(theirs, 150)
    # The first project to store the id keeps it as the key SQL users see.
    first = b if b_first else a
    with database.connect() as conn:
        keys = dict(conn.execute(select(tables.traces.c.project_id, tables.traces.c.id)).all())
        # The recent-traces panel's join and GROUP BY t.id (the key alone) sum each project's own spans.
        sums = conn.execute(
            text(
                "SELECT t.project_id, COALESCE(SUM(o.total_tokens), 0) AS tokens FROM traces t "
                "LEFT JOIN observations o ON o.trace_id = t.id GROUP BY t.id"
            )
        ).all()
    assert keys[first] == trace_id and keys[a if first == b else b] != trace_id
    assert sorted((project, int(tokens)) for project, tokens in sums) == sorted([(a, 15), (b, 150)])


def test_a_late_span_of_another_project_does_not_reach_the_owner(database: Database) -> None:
    a, b = two_projects(database)
    trace_id = new_id(16)
    commit(database, (a, trace_batch(trace_id=trace_id, name="checkout", at=T0)))
    commit(database, (b, trace_batch(trace_id=trace_id, name="other", at=T0 - timedelta(hours=1))))
    assert get_trace(database, a, trace_id)["timestamp"] == T0
    assert get_trace(database, b, trace_id)["timestamp"] == T0 - timedelta(hours=1)


def test_scores_wait_for_their_trace_and_stay_in_their_project(database: Database) -> None:
    a, b = two_projects(database)
    trace_id = new_id(16)
    # Both projects score the trace id before any trace of it exists, with the same score id.
    commit(database, (a, score(trace_id, 1.0)), (b, score(trace_id, -1.0)))
    # Project a's trace arrives first; b's score is not a's.
    commit(database, (a, trace_batch(trace_id=trace_id)))
    assert [(s["value"], s["trace_id"]) for s in get_trace(database, a, trace_id)["scores"]] == [(1.0, trace_id)]
    with database.connect() as conn:
        joined = (
            conn.execute(text("SELECT s.project_id FROM scores s JOIN traces t ON t.id = s.trace_id")).scalars().all()
        )
    assert joined == [a]  # the SQL join attaches no score to another project's trace
    # b scores the id again (a's trace exists now), then b's own trace arrives.
    commit(database, (b, score(trace_id, -2.0, "feedback-2")))
    commit(database, (b, trace_batch(trace_id=trace_id, name="theirs")))
    b_trace = get_trace(database, b, trace_id)
    assert (b_trace["name"], sorted(s["value"] for s in b_trace["scores"])) == ("theirs", [-2.0, -1.0])
    assert {s["trace_id"] for s in b_trace["scores"]} == {trace_id}
    assert [s["value"] for s in get_trace(database, a, trace_id)["scores"]] == [1.0]
    # Re-sending a score id replaces that project's score only.
    commit(database, (b, score(trace_id, -3.0)))
    assert sorted(s["value"] for s in get_trace(database, b, trace_id)["scores"]) == [-3.0, -2.0]
    assert [s["value"] for s in get_trace(database, a, trace_id)["scores"]] == [1.0]


def test_a_wire_id_shaped_like_a_storage_key_takes_nothing(database: Database) -> None:
    a, b = two_projects(database)
    trace_id = new_id(16)
    squatter = f"{trace_id}@{a}"  # b sends, as a trace id, the key a would get for trace_id
    commit(database, (b, trace_batch(trace_id=squatter, name="squat")))
    commit(database, (b, trace_batch(trace_id=trace_id, name="b-first")))
    commit(database, (a, trace_batch(trace_id=trace_id, name="a-second")))
    assert get_trace(database, a, trace_id)["name"] == "a-second"
    assert get_trace(database, b, squatter)["name"] == "squat"
    assert get_trace(database, b, trace_id)["name"] == "b-first"


@pytest.mark.parametrize("taken", [False, True])
def test_asking_for_a_storage_key_tells_nothing(database: Database, taken: bool) -> None:
    a, b = two_projects(database)
    trace_id = new_id(16)
    if taken:  # another project holds the id, so b's trace is stored under f"{trace_id}@{b}"
        commit(database, (a, trace_batch(trace_id=trace_id)))
    commit(database, (b, trace_batch(trace_id=trace_id)))
    with pytest.raises(NotFoundError):
        get_trace(database, b, f"{trace_id}@{b}")
    assert list_observations(database, b, ObservationFilter(trace_id=f"{trace_id}@{b}"), limit=5)[0] == []


def test_later_pages_leave_out_a_trace_a_late_span_moved(database: Database) -> None:
    a, _ = two_projects(database)
    base = datetime(2026, 11, 1, tzinfo=UTC)
    batches = [trace_batch(at=base + timedelta(minutes=i), name=f"t{i}") for i in range(5)]
    commit(database, *[(a, batch) for batch in batches])
    page1, cursor = list_traces(database, a, TraceFilter(), limit=3)
    assert [item["name"] for item in page1] == ["t4", "t3", "t2"]
    moved = batches[4].traces[0].id
    # A late span of t4 starts before every other trace: t4 now sorts below the cursor.
    commit(database, (a, trace_batch(trace_id=moved, at=base - timedelta(hours=1), name="t4")))
    # A span that does not move its trace (t1's, later than its start) changes nothing.
    commit(database, (a, trace_batch(trace_id=batches[1].traces[0].id, at=base + timedelta(hours=1), name="t1")))
    page2, cursor2 = list_traces(database, a, TraceFilter(), limit=3, cursor=cursor)
    assert [item["name"] for item in page2] == ["t1", "t0"] and cursor2 is None
    fresh, _ = list_traces(database, a, TraceFilter(), limit=10)
    assert [item["name"] for item in fresh] == ["t3", "t2", "t1", "t0", "t4"]
