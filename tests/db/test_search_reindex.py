"""Observations stored before the search index existed: migration 0007 records their range and
`theodolite search reindex` (a real CLI process) indexes them, resumably, on both engines."""

from __future__ import annotations

import subprocess
import sys

from alembic import command

from theodolite.query.filters import TraceFilter
from theodolite.server.bootstrap import warn_if_search_incomplete
from theodolite.storage.engine import open_database
from theodolite.storage.migrations.runner import alembic_config
from theodolite.storage.search import backfill_remaining
from theodolite.storage.sql.queries.traces import list_traces

SEARCHES = ("password", "パスワード", "экспорт", "revenue by region", "款")


def _found(database, search: str) -> list[str]:  # type: ignore[no-untyped-def]
    ids, cursor = [], None
    for _ in range(100):  # bounded: a few hundred traces, 500 a page
        page, cursor = list_traces(database, 1, TraceFilter(search=search), limit=500, cursor=cursor)
        ids += [item["id"] for item in page]
        if cursor is None:
            return ids
    raise AssertionError("too many pages")


def _reindex(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "theodolite", "search", "reindex", "--database-url", url],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_reindex_indexes_what_was_stored_before_the_index(database_url: str, caplog) -> None:  # type: ignore[no-untyped-def]
    # In its own process, as a user runs it: payloads are compressed with this database's own
    # zstd dictionaries, never with one another test installed in this process.
    demo = subprocess.run(
        [sys.executable, "-m", "theodolite", "demo", "--no-serve", "--days", "2", "--traces-per-day", "150",
         "--seed", "7", "--database-url", database_url],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    database = open_database(database_url)
    try:
        indexed_at_ingest = {search: _found(database, search) for search in SEARCHES}
        assert all(indexed_at_ingest.values()), indexed_at_ingest  # the demo has each of them
        assert backfill_remaining(database) == 0
        # An install from before the index: its tables go, and the migration runs on stored data.
        config = alembic_config()
        with database.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0006")
        database.migrate()
        assert {search: _found(database, search) for search in SEARCHES} == {search: [] for search in SEARCHES}
        assert backfill_remaining(database) > 0
        warn_if_search_incomplete(database)  # what the server says at start until then
        assert "run `theodolite search reindex`" in caplog.text
    finally:
        database.dispose()

    result = _reindex(database_url)
    assert result.returncode == 0, result.stderr
    assert "the search index is complete" in result.stdout

    database = open_database(database_url)
    try:
        assert {search: _found(database, search) for search in SEARCHES} == indexed_at_ingest
        assert backfill_remaining(database) == 0
    finally:
        database.dispose()
    again = _reindex(database_url)
    assert again.returncode == 0 and "nothing to reindex" in again.stdout  # indexes nothing twice
