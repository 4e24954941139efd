"""SQLite's search index is written after the ingest commit, by the writer thread (`storage/search.py`,
`ingestion/pipeline.py`): when the writer is idle, when a search waits for it, when it has been
behind too long under load, and after a crash from the recorded mark. Real SQLite files."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.builders import prepared, trace_batch
from theodolite.ingestion.pipeline import IngestPipeline
from theodolite.query.filters import TraceFilter
from theodolite.storage import payloads, search
from theodolite.storage.engine import Database, open_database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.sql.queries.traces import list_traces
from theodolite.storage.writer import SqlWriter

NEVER = 3600.0  # an idle delay or a lag bound that does not come within a test


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = open_database(f"sqlite:///{tmp_path / 'theodolite.db'}")
    try:
        yield db
    finally:
        db.dispose()


def _found(database: Database, project_id: int) -> list[str]:
    page, _ = list_traces(database, project_id, TraceFilter(search="hello"), limit=50)
    return sorted(item["id"] for item in page)


def _until(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not reached before the deadline"
        time.sleep(0.01)  # polling with a deadline, not synchronising on time


def _run(database: Database, *, idle_s: float, max_lag_s: float, traces: int = 3):  # type: ignore[no-untyped-def]
    project_id, _ = get_or_create_project(database, "follow")
    writer = SqlWriter(database)
    pipeline = IngestPipeline(
        writer.commit, max_queue_items=10_000, max_transaction_items=1_000, follower=writer,
        follow_idle_s=idle_s, follow_max_lag_s=max_lag_s,
    )  # fmt: skip
    pipeline.start()
    batches = [trace_batch() for _ in range(traces)]
    for batch in batches:
        pipeline.submit_blocking(prepared(database, project_id, batch), timeout_s=10)
    return project_id, writer, pipeline, sorted(batch.traces[0].id for batch in batches)


def test_a_search_waits_for_the_index_to_cover_what_was_committed(database: Database) -> None:
    project_id, writer, pipeline, ids = _run(database, idle_s=NEVER, max_lag_s=NEVER)
    try:
        assert writer.followed() < writer.committed()  # acknowledged, not indexed: nothing ran the step
        assert _found(database, project_id) == []
        assert pipeline.wait_followed(timeout_s=10) == 0  # the writer stepped for the waiting reader
        assert _found(database, project_id) == ids
    finally:
        pipeline.stop()
        writer.close()


@pytest.mark.parametrize(
    ("idle_s", "max_lag_s"),
    # Idle: the step comes 50 ms after the last commit. Under load (never idle long enough): a lag
    # bound of 0 makes every commit's step due at the writer's next turn.
    [(0.05, NEVER), (NEVER, 0.0)],
    ids=["once the writer is idle", "under load, once behind too long"],
)
def test_the_index_follows_the_commits(database: Database, idle_s: float, max_lag_s: float) -> None:
    project_id, writer, pipeline, ids = _run(database, idle_s=idle_s, max_lag_s=max_lag_s)
    try:
        _until(lambda: writer.followed() >= writer.committed())
        assert _found(database, project_id) == ids
    finally:
        pipeline.stop()
        writer.close()


def test_after_a_crash_indexing_goes_on_from_the_recorded_mark(database: Database) -> None:
    project_id, writer, pipeline, first = _run(database, idle_s=0.05, max_lag_s=NEVER)
    _until(lambda: writer.followed() >= writer.committed())
    pipeline.stop()
    # Committed, then the process died before the index step: only the commit is on disk.
    later = [trace_batch() for _ in range(2)]
    writer.commit([prepared(database, project_id, batch) for batch in later])
    writer.close()
    assert _found(database, project_id) == first

    restarted = SqlWriter(database)  # reads the mark and the newest seq from the file
    try:
        assert restarted.followed() < restarted.committed()
        assert restarted.catch_up() > 0
        assert _found(database, project_id) == sorted(first + [batch.traces[0].id for batch in later])
        assert restarted.catch_up() == 0  # nothing indexed twice
    finally:
        restarted.close()


@pytest.fixture
def no_dictionary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Payloads compressed without a dictionary: an earlier test of this process may have made
    one active that this database does not store, and the document process reads the database's."""
    monkeypatch.setattr(payloads, "_active_id", 0)


def _commit_traces(writer: SqlWriter, database: Database, project_id: int, traces: int) -> list[str]:
    batches = [trace_batch() for _ in range(traces)]  # two spans each
    writer.commit([prepared(database, project_id, batch) for batch in batches])
    return [batch.traces[0].id for batch in batches]


def test_a_process_of_its_own_makes_the_documents_ahead_of_the_step(
    database: Database, monkeypatch: pytest.MonkeyPatch, no_dictionary: None
) -> None:
    project_id, _ = get_or_create_project(database, "follow")
    # Made in this process, a document would fail the step: the worker process has its own module.
    monkeypatch.setattr(search, "make_documents", _refuse)
    writer = SqlWriter(database, document_worker_after_s=0.0)
    try:
        worker = writer._documents
        assert worker is not None
        ids = _commit_ranges(writer, database, project_id, 5)
        # Asked for as soon as complete: commits 1-2 and 3-4; commit 5 may still grow.
        assert sorted(worker._asked) == [(1, 4_001), (4_001, 8_001)]
        assert writer.catch_up() == 10_000
        assert (worker.taken_ahead, worker.made_on_demand, worker.failures) == (2, 1, 0)
        assert not worker.running()  # caught up: the process is stopped
        page, _ = list_traces(database, project_id, TraceFilter(search="hello"), limit=10_000)
        assert sorted(item["id"] for item in page) == sorted(ids)
    finally:
        writer.close()


def test_a_burst_shorter_than_the_wait_is_derived_on_the_writers_thread(database: Database) -> None:
    project_id, _ = get_or_create_project(database, "follow")
    writer = SqlWriter(database, document_worker_after_s=NEVER)
    try:
        worker = writer._documents
        assert worker is not None
        _commit_ranges(writer, database, project_id, 5)
        assert not worker.running() and not worker._asked  # no second process for a short burst
        assert writer.catch_up() == 10_000
        assert (worker.taken_ahead, worker.made_on_demand, worker.failures) == (0, 0, 0)
        assert not worker.running()
    finally:
        writer.close()


def test_when_the_document_process_dies_the_step_makes_them_and_it_restarts(
    database: Database, no_dictionary: None
) -> None:
    project_id, _ = get_or_create_project(database, "follow")
    writer = SqlWriter(database, document_worker_after_s=0.0)
    try:
        worker = writer._documents
        assert worker is not None
        ids = _commit_ranges(writer, database, project_id, 3)  # the first range is asked for
        assert worker._executor is not None
        for process in list(worker._executor._processes.values()):
            process.kill()
            process.join(10)
        assert writer.catch_up() == 6_000
        assert worker.failures == 1  # made on the writer's thread instead
        ids += _commit_ranges(writer, database, project_id, 3)
        assert writer.catch_up() == 6_000
        assert worker.failures == 1 and worker.taken_ahead == 1  # a new process made them
        page, _ = list_traces(database, project_id, TraceFilter(search="hello"), limit=10_000)
        assert sorted(item["id"] for item in page) == sorted(ids)
    finally:
        writer.close()


def _commit_ranges(writer: SqlWriter, database: Database, project_id: int, commits: int) -> list[str]:
    """`commits` commits of 2,000 seqs: a step of FOLLOW_CHUNK (5,000) takes two."""
    ids: list[str] = []
    for _ in range(commits):
        ids += _commit_traces(writer, database, project_id, 1_000)
    return ids


def _refuse(*args: object) -> list[dict[str, object]]:
    raise AssertionError("documents made on the writer's thread")


@pytest.mark.parametrize("restart", [False, True], ids=["same process", "after a restart"])
def test_a_commit_that_stores_nothing_new_does_not_hide_the_next_commits_first_span(
    database: Database, restart: bool
) -> None:
    """A full re-send stores no observation but reserves a seq; the next commit's spans must be
    numbered above it, or the follower (already past the reservation) never derives the first one:
    it was missing from the search index and from the trace's totals."""
    project_id, _ = get_or_create_project(database, "follow")
    writer = SqlWriter(database)
    try:
        first = trace_batch()
        writer.commit([prepared(database, project_id, first)])
        writer.catch_up()
        writer.commit([prepared(database, project_id, first)])  # a client's retry: nothing new
        writer.catch_up()
        if restart:  # the next process starts from the recorded mark, past the last row
            writer.close()
            writer = SqlWriter(database)
        later = trace_batch(tokens=(40, 2))
        later.observations = later.observations[-1:]  # one span: the one a wrong number hides
        writer.commit([prepared(database, project_id, later)])
        writer.catch_up()
    finally:
        writer.close()
    assert _found(database, project_id) == sorted([first.traces[0].id, later.traces[0].id])
    page, _ = list_traces(database, project_id, TraceFilter(), limit=10)
    totals = {item["id"]: item["observation_count"] for item in page}
    assert totals == {first.traces[0].id: 2, later.traces[0].id: 1}
