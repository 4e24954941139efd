"""The ingest pipeline: group commit, bounded queue (429), acknowledgement only after commit."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from tests.support.builders import prepared, trace_batch
from theodolite.errors import OverloadedError, StorageError
from theodolite.ingestion.pipeline import IngestPipeline
from theodolite.model import Batch, Rejection
from theodolite.storage.engine import open_database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.rows import PreparedBatch
from theodolite.storage.writer import SqlWriter, count_rows


class GatedCommit:
    """The real SqlWriter behind a gate the test opens: lets a test hold the writer busy."""

    def __init__(self, writer: SqlWriter) -> None:
        self.writer = writer
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.calls: list[int] = []

    def __call__(self, items: Sequence[PreparedBatch]) -> list[list[Rejection]]:
        self.entered.set()
        assert self.gate.wait(30)
        self.calls.append(len(items))
        return self.writer.commit(items)


@pytest.fixture
def sqlite_setup(tmp_path):  # type: ignore[no-untyped-def]
    database = open_database(f"sqlite:///{tmp_path / 't.db'}")
    project, _ = get_or_create_project(database, "p")
    writer = SqlWriter(database)
    yield database, project, writer
    writer.close()
    database.dispose()


def test_full_queue_rejects_with_overload_and_nothing_waiting_is_lost(sqlite_setup) -> None:  # type: ignore[no-untyped-def]
    database, project, writer = sqlite_setup
    commit = GatedCommit(writer)
    pipeline = IngestPipeline(commit, max_queue_items=9, max_transaction_items=100, retry_after_s=2)
    pipeline.start()
    first = pipeline.submit_nowait(
        prepared(database, project, trace_batch())
    )  # taken by the writer, which blocks in the gate
    assert commit.entered.wait(10)
    waiting = [
        pipeline.submit_nowait(prepared(database, project, trace_batch())) for _ in range(2)
    ]  # 3 items each; with the 3 in flight the bound (9) is reached
    with pytest.raises(OverloadedError) as raised:
        pipeline.submit_nowait(prepared(database, project, trace_batch()))
    assert raised.value.retry_after_s == 2
    assert not first.done() and count_rows(database, "traces") == 0  # not acknowledged before commit
    commit.gate.set()
    for future in [first, *waiting]:
        assert future.result(timeout=30) == []
    assert commit.calls == [1, 2]  # the two waiting requests shared one transaction
    assert count_rows(database, "traces") == 3
    assert pipeline.stop(10)


def test_failed_commit_is_reported_to_every_waiting_request(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def broken(_items: Sequence[Batch]) -> list[list[Rejection]]:
        raise StorageError("disk full")

    pipeline = IngestPipeline(broken, max_queue_items=100, max_transaction_items=100)
    pipeline.start()
    future = pipeline.submit_nowait(trace_batch())
    with pytest.raises(StorageError):
        future.result(timeout=10)
    assert pipeline.stats.failed_transactions == 1
    assert pipeline.stop(10)


def test_stop_drains_the_queue_before_returning(sqlite_setup) -> None:  # type: ignore[no-untyped-def]
    database, project, writer = sqlite_setup
    pipeline = IngestPipeline(writer.commit, max_queue_items=10_000, max_transaction_items=50)
    pipeline.start()
    futures = [pipeline.submit_nowait(prepared(database, project, trace_batch())) for _ in range(40)]
    assert pipeline.stop(30)
    assert all(f.done() and f.exception() is None for f in futures)
    assert count_rows(database, "traces") == 40
