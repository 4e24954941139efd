"""A session's turns and a user's series are read through indexes, never a scan of the project.

SQLite plans from `sqlite_stat1`, which `storage/statistics.py` fills with a sampled ANALYZE. On the
demo's million observations those statistics say that `observations.project_id = ?` matches ~1,000
rows, and a join of a user's traces to observations that also tested `observations.project_id` was
planned from (project_id, start_time): every observation of the project, 4.5 s. The statistics
below are those that ANALYZE left on that database; every statement the two reads issue is checked
with EXPLAIN QUERY PLAN under them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from tests.support.builders import T0, prepared, trace_batch
from theodolite.storage.engine import Database, open_database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.sql.queries import group_detail
from theodolite.storage.writer import SqlWriter

# (table, index, stat) as sampled ANALYZE (analysis_limit=1000) left them on 999,644 demo observations.
MILLION_OBSERVATION_STATS = [
    ("traces", "ix_traces_list", "77000 1001 1 1 1 1"),
    ("traces", "ix_traces_project_user", "141450 1001 1001 1"),
    ("traces", "ix_traces_project_session", "112225 1001 3 1"),
    ("traces", "sqlite_autoindex_traces_1", "185725 1"),
    ("observations", "ix_observations_project_start", "502320 1001 1"),
    ("observations", "sqlite_autoindex_observations_1", "1061888 6 1"),
]


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'theodolite.db'}")
    project, _ = get_or_create_project(database, "p")
    writer = SqlWriter(database)
    batches = [
        trace_batch(at=T0 + timedelta(minutes=i), user_id=f"u{i % 3}", session_id=f"s{i % 4}") for i in range(24)
    ]
    writer.commit([prepared(database, project, batch) for batch in batches])
    writer.catch_up()
    writer.close()
    raw = database.engine.raw_connection()
    try:
        sqlite = raw.driver_connection
        sqlite.execute("ANALYZE")  # creates sqlite_stat1; its rows are then replaced
        sqlite.execute("DELETE FROM sqlite_stat1")
        sqlite.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", MILLION_OBSERVATION_STATS)
        sqlite.commit()
    finally:
        raw.close()
    database.engine.dispose()  # new connections read the statistics
    try:
        yield database
    finally:
        database.dispose()


def plans_of(database: Database, read) -> list[tuple[str, list[str]]]:
    """Each SELECT `read` issues, with SQLite's plan for it (the same parameters)."""
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", capture)
    try:
        read()
    finally:
        event.remove(database.engine, "before_cursor_execute", capture)
    raw = database.engine.raw_connection()
    try:
        return [
            (sql, [row[3] for row in raw.driver_connection.execute("EXPLAIN QUERY PLAN " + sql, params)])
            for sql, params in statements
        ]
    finally:
        raw.close()


def assert_indexed(plans: list[tuple[str, list[str]]], driving_index: str) -> None:
    for sql, plan in plans:
        joined = " | ".join(plan)
        assert "SCAN traces" not in joined and "SCAN observations" not in joined, (sql, plan)
        # The project's whole (project_id, start_time) range is never how these reads find rows.
        assert "ix_observations_project_start" not in joined, (sql, plan)
        if "JOIN observations" in sql:
            assert driving_index in plan[0] and "sqlite_autoindex_observations_1 (trace_id=?)" in joined, (sql, plan)


def test_a_users_series_reads_the_users_traces_then_their_totals(sqlite_database: Database) -> None:
    project = 1
    detail = group_detail.get_user(sqlite_database, project, "u1")
    assert detail["trace_count"] == 8 and detail["observation_count"] == 16 and detail["input_tokens"] == 8 * 12
    plans = plans_of(sqlite_database, lambda: group_detail.get_user(sqlite_database, project, "u1"))
    series = [(sql, plan) for sql, plan in plans if "JOIN trace_totals" in sql]
    assert series, "the daily series reads trace_totals"
    for sql, plan in series:
        joined = " | ".join(plan)
        # The user's traces by their index, then each one's totals row by its whole key.
        assert "ix_traces_project_user" in plan[0] and "SCAN trace_totals" not in joined, (sql, plan)
        assert "trace_totals USING PRIMARY KEY (project_id=? AND timestamp=? AND trace_id=?)" in joined, (sql, plan)
    assert_indexed(plans, "ix_traces_project_user")


def test_a_sessions_turns_read_the_sessions_traces_then_their_observations(sqlite_database: Database) -> None:
    project = 1
    detail = group_detail.get_session(sqlite_database, project, "s1")
    assert detail["summary"]["trace_count"] == 6 and len(detail["turns"]) == 6
    plans = plans_of(sqlite_database, lambda: group_detail.get_session(sqlite_database, project, "s1", limit=2))
    assert any("JOIN observations" in sql for sql, _ in plans)
    assert_indexed(plans, "ix_traces_project_session")
