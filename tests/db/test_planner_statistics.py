"""SQLite's planner statistics are taken from the first thousand observations on, and with them a
trace's read goes by its trace id, never through every observation of its project.

Without `sqlite_stat1`, SQLite guesses that `project_id = ?` is as selective as `trace_id = ?` and
read a trace's observations and totals through (project_id, start_time): on a fresh file the
online evaluators' reads of trace after trace cost 30 ms each at 6,000 spans instead of 7 ms.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.db.test_group_detail_plans import plans_of
from tests.support.builders import T0, prepared, trace_batch
from theodolite.storage.engine import Database, open_database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.sql.queries.traces import get_trace
from theodolite.storage.statistics import MIN_ROWS, PlannerStatistics
from theodolite.storage.writer import SqlWriter


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'theodolite.db'}")
    get_or_create_project(database, "p")
    try:
        yield database
    finally:
        database.dispose()


def write_traces(database: Database, count: int, start: int = 0) -> list[str]:
    """`count` traces of two observations each; their ids."""
    writer = SqlWriter(database)
    batches = [trace_batch(at=T0 + timedelta(seconds=start + i)) for i in range(count)]
    writer.commit([prepared(database, 1, batch) for batch in batches])
    writer.catch_up()
    writer.close()
    return [batch.traces[0].id for batch in batches]


def has_statistics(database: Database) -> bool:
    with database.engine.connect() as conn:
        return bool(conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").scalar())


def test_statistics_are_taken_from_the_first_thousand_observations_and_again_when_doubled(
    database: Database,
) -> None:
    statistics = PlannerStatistics(database)
    assert MIN_ROWS <= 1_000
    write_traces(database, MIN_ROWS // 2 - 10)  # just under: nothing to gain yet
    assert not statistics.refresh_if_stale() and not has_statistics(database)
    ids = write_traces(database, 20, start=10_000)
    assert statistics.refresh_if_stale() and has_statistics(database)
    assert not statistics.refresh_if_stale()  # not outgrown
    write_traces(database, MIN_ROWS // 2 + 20, start=20_000)  # doubled
    assert statistics.refresh_if_stale()
    assert get_trace(database, 1, ids[0])["observation_count"] == 2


def test_with_them_a_traces_read_goes_by_its_trace_id(database: Database) -> None:
    ids = write_traces(database, MIN_ROWS)
    assert PlannerStatistics(database).refresh_if_stale()
    database.engine.dispose()  # new connections read the statistics
    plans = plans_of(database, lambda: get_trace(database, 1, ids[7]))
    on_observations = [(sql, plan) for sql, plan in plans if "FROM observations" in sql]
    assert len(on_observations) >= 2  # the observations, and their totals
    for sql, plan in on_observations:
        joined = " | ".join(plan)
        assert "ix_observations_project_start" not in joined and "SCAN observations" not in joined, (sql, plan)
        assert "sqlite_autoindex_observations_1 (trace_id=?" in joined, (sql, plan)
