"""On SQLite the per-trace totals and the users' rollups are derived after the ingest commit, in
steps over any number of commits (`SqlWriter.step`), and after a crash from the database alone
(`TotalsWriter.recover`). However the commits are grouped into steps, the tables end the same, and
the same as a recount from the observations. Real SQLite files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.support.builders import T0, new_id, prepared, trace_batch
from theodolite.model import Batch
from theodolite.storage import tables
from theodolite.storage.engine import Database, open_database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.writer import SqlWriter

A, B, C = new_id(16), new_id(16), new_id(16)


def _commits(project: int, database: Database) -> list[list[Any]]:
    """Traces that move earlier, change user, gain spans in later commits, next to a plain one."""
    batches = [
        [trace_batch(trace_id=A, at=T0 + timedelta(minutes=10), user_id="u1", cost="0.001")],
        [trace_batch(trace_id=B, at=T0 + timedelta(minutes=5), user_id="u2", cost="0.002")],
        # A's late part: an earlier timestamp (its rows are re-keyed) and another user.
        [trace_batch(trace_id=A, at=T0, user_id="u3", cost="0.004", tokens=(40, 5))],
        [trace_batch(trace_id=B, at=T0 + timedelta(minutes=6), user_id="u2", cost=None)],  # unpriced
        [
            trace_batch(trace_id=C, at=T0 + timedelta(minutes=1), user_id="u1"),
            trace_batch(trace_id=A, at=T0 + timedelta(minutes=20), user_id="u3"),
        ],  # fmt: skip
    ]
    return [[prepared(database, project, batch) for batch in commit] for commit in batches]


def _tables(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Both tables without their changed_seq (the mark of the step that wrote them)."""
    found = {}
    with database.connect() as conn:
        for table in (tables.trace_totals, tables.group_rollups):
            columns = [column for column in table.columns if column.name != "changed_seq"]
            found[table.name] = sorted(tuple(row) for row in conn.execute(select(*columns)))
    return found


def _each_commit(writer: SqlWriter, commits: list[list[Any]], database: Database) -> None:
    for commit in commits:
        writer.commit(commit)
        writer.catch_up()


def _one_step(writer: SqlWriter, commits: list[list[Any]], database: Database) -> None:
    for commit in commits:
        writer.commit(commit)
    writer.catch_up()


def _small_steps(writer: SqlWriter, commits: list[list[Any]], database: Database) -> None:
    writer.commit(commits[0])
    writer.step()
    for commit in commits[1:]:
        writer.commit(commit)
    while writer.followed() < writer.committed():
        writer.step(max_seqs=1)  # one commit per step


def _after_a_crash(writer: SqlWriter, commits: list[list[Any]], database: Database) -> None:
    writer.commit(commits[0])
    writer.catch_up()
    for commit in commits[1:]:
        writer.commit(commit)  # committed; the process dies before any step
    writer.close()  # its memory is gone, and its lease (one writer per SQLite file: writer_lease.py)
    restarted = SqlWriter(database)
    try:
        assert restarted.followed() < restarted.committed()
        restarted.catch_up()
    finally:
        restarted.close()


WAYS: dict[str, Callable[..., None]] = {
    "each commit": _each_commit, "one step": _one_step, "small steps": _small_steps, "after a crash": _after_a_crash,
}  # fmt: skip


def test_a_second_writer_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    from theodolite.errors import StorageError

    database = open_database(f"sqlite:///{tmp_path / 'one-writer.db'}")
    try:
        first = SqlWriter(database)
        with pytest.raises(StorageError, match="another Theodolite process .* is writing to"):
            SqlWriter(database)
        first.close()
        SqlWriter(database).close()  # free again once the first one is gone
    finally:
        database.dispose()


def _run(tmp_path: Path, way: str) -> dict[str, list[tuple[Any, ...]]]:
    database = open_database(f"sqlite:///{tmp_path / (way.replace(' ', '-') + '.db')}")
    try:
        project, _ = get_or_create_project(database, "derive")
        writer = SqlWriter(database)
        try:
            WAYS[way](writer, _commits(project, database), database)
        finally:
            writer.close()
        return _tables(database)
    finally:
        database.dispose()


def test_every_grouping_of_commits_into_steps_ends_with_the_same_totals(tmp_path: Path) -> None:
    results = {way: _run(tmp_path, way) for way in WAYS}
    expected = results["each commit"]
    for way, found in results.items():
        assert found == expected, way
    totals = {row[2]: row for row in expected["trace_totals"]}  # by trace key
    columns = [column.name for column in tables.trace_totals.columns if column.name != "changed_seq"]
    a = dict(zip(columns, totals[A], strict=True))
    assert a["observation_count"] == 6 and a["user_id"] == "u3" and a["input_tokens"] == 12 + 40 + 12
    assert a["timestamp"].replace(tzinfo=None) == T0.replace(tzinfo=None)  # re-keyed under its earliest time
    assert len(expected["trace_totals"]) == 3  # the moved trace left no row under its old timestamp
    users = {row[2]: row for row in expected["group_rollups"]}
    group_columns = [column.name for column in tables.group_rollups.columns if column.name != "changed_seq"]
    assert {key: dict(zip(group_columns, row, strict=True))["trace_count"] for key, row in users.items()} == {
        "u1": 1,
        "u2": 1,
        "u3": 1,
    }  # fmt: skip  (u1 lost A to u3 and has C)


@pytest.mark.parametrize("way", ["one step", "after a crash"])
def test_a_scores_only_commit_and_an_empty_one_keep_the_marks_in_order(tmp_path: Path, way: str) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'marks.db'}")
    try:
        project, _ = get_or_create_project(database, "marks")
        writer = SqlWriter(database)
        commits = _commits(project, database)
        commits.insert(2, [prepared(database, project, Batch())])
        try:
            WAYS[way](writer, commits, database)
        finally:
            writer.close()
        assert len(_tables(database)["trace_totals"]) == 3
    finally:
        database.dispose()


def test_costs_recompute_while_commits_wait_is_summed_from_the_repriced_observations(tmp_path: Path) -> None:
    from datetime import timedelta as days

    from sqlalchemy import func

    from theodolite.storage.repricing import reprice

    database = open_database(f"sqlite:///{tmp_path / 'reprice.db'}")
    try:
        project, _ = get_or_create_project(database, "reprice")
        writer = SqlWriter(database)
        try:
            writer.commit(_commits(project, database)[0])
            writer.catch_up()  # A derived at the ingest price, $0.001
            for commit in _commits(project, database)[1:]:
                writer.commit(commit)  # acknowledged, not derived: the writer keeps their sums
            summary = reprice(database, {}, since=T0 - days(days=1))  # genai-prices' gpt-4o-mini rates
            assert summary.changed > 0
            writer.catch_up()
        finally:
            writer.close()
        o, tt = tables.observations, tables.trace_totals
        with database.connect() as conn:
            stored = {row[0]: row[1] for row in conn.execute(select(tt.c.trace_id, tt.c.total_cost))}
            summed = {
                row[0]: row[1]
                for row in conn.execute(
                    select(o.c.trace_id, func.sum(o.c.calculated_total_cost))
                    .where(o.c.cost_status != "unpriced")
                    .group_by(o.c.trace_id)
                )
            }
        assert stored.keys() == {A, B, C}
        assert {key: round(float(value), 12) for key, value in stored.items() if value is not None} == {
            key: round(float(value), 12) for key, value in summed.items() if value is not None
        }
    finally:
        database.dispose()
