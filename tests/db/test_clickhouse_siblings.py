"""Two ClickHouse writers on one trace store at once, as two `theodolite serve` processes behind a
load balancer run them: each sends every request of the same traffic (every request reaches both:
the client's retry through the sibling), from its own thread, with its own client, both locking
through one metadata store (PostgreSQL for servers on several hosts, a SQLite file for one host).
What the store then holds must be what one writer sending each request once stores: every span once
(its rows and what the views counted: per-trace totals, hourly rollups) and every trace whole.

Without the locks (`NoLocks`), both writers read a trace before either inserted its spans, both
insert them, and the views count them twice: `test_without_locks_the_views_count_twice` shows the
race is real here, so that the test with locks can fail.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    import chdb  # noqa: F401
    import clickhouse_connect
except ImportError as error:  # the test extra installs both; a bare install skips, saying why
    pytest.skip(f"embedded ClickHouse (chdb + clickhouse-connect) is not installed: {error}", allow_module_level=True)

from tests.db.test_clickhouse_writer import (
    PER_COMMIT,
    ch_counts,
    ch_rollups,
    ch_totals,
    demo,
    prepared,
    sql_counts,
    sql_rollups,
    sql_totals,
    write_sql,
)
from theodolite.storage.clickhouse.connection import create_schema
from theodolite.storage.clickhouse.write_locks import MetadataLocks, NoLocks, WriteLocks
from theodolite.storage.clickhouse.writer import ClickHouseWriter
from theodolite.storage.engine import Database, open_database
from theodolite.storage.metadata.projects import get_or_create_project


@pytest.fixture
def metadata(database_url: str) -> Iterator[Database]:
    """The shared metadata store, SQLite or PostgreSQL (tests/conftest.py `database_url`)."""
    database = open_database(database_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def sql(tmp_path: Path) -> Iterator[Database]:
    """The reference: the same traffic sent once through the SQL writer."""
    database = open_database(f"sqlite:///{tmp_path / 'reference.db'}")
    try:
        yield database
    finally:
        database.dispose()


def _siblings(chdb_path: Path, locks: list[WriteLocks]) -> Iterator[list[ClickHouseWriter]]:
    database = "s_" + uuid.uuid4().hex[:12]
    clients = [clickhouse_connect.get_client(dsn=f"chdb://{chdb_path}") for _ in locks]
    try:
        create_schema(clients[0], database)
        yield [ClickHouseWriter(client, database, lock) for client, lock in zip(clients, locks, strict=True)]
    finally:
        for client in clients:
            client.close()


def _send_through_both(writers: list[ClickHouseWriter], project_id: int, batches: list[Any]) -> None:
    """Every request to every writer, each writer in its own thread, started together."""
    start = threading.Barrier(len(writers))
    failures: list[BaseException] = []

    def run(writer: ClickHouseWriter) -> None:
        try:
            mine = prepared(writer.codec, project_id, batches, False)  # a writer marks what it was given
            start.wait(timeout=60)
            for at in range(0, len(mine), PER_COMMIT):
                writer.commit(mine[at : at + PER_COMMIT])
        except BaseException as exc:  # noqa: BLE001 - reported by the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(writer,)) for writer in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
        assert not thread.is_alive(), "a writer did not finish within 300 s"
    assert not failures, failures


def test_two_writers_given_the_same_requests_store_each_span_once(
    metadata: Database, sql: Database, chdb_path: Path
) -> None:
    batches = demo(seed=11, days=1, traces_per_day=120)
    write_sql(sql, batches)
    project_id, _ = get_or_create_project(sql, "p")
    for writers in _siblings(chdb_path, [MetadataLocks(metadata), MetadataLocks(metadata)]):
        _send_through_both(writers, project_id, batches)
        one = writers[0]
        assert ch_counts(one) == sql_counts(sql)
        assert ch_totals(one) == sql_totals(sql)  # what the views counted: each span once
        assert ch_rollups(one) == sql_rollups(sql)


def test_without_locks_the_views_count_twice(sql: Database, chdb_path: Path) -> None:
    batches = demo(seed=11, days=1, traces_per_day=120)
    write_sql(sql, batches)
    project_id, _ = get_or_create_project(sql, "p")
    for writers in _siblings(chdb_path, [NoLocks(), NoLocks()]):
        _send_through_both(writers, project_id, batches)
        one = writers[0]
        assert ch_counts(one) == sql_counts(sql)  # the rows, read with FINAL, are right either way
        spans = sum(sums[0] for sums in ch_totals(one).values())
        assert spans > sum(sums[0] for sums in sql_totals(sql).values())  # ... but some were counted twice
