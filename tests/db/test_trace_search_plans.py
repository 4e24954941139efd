"""Both plans of a search (a rare one reads its traces from the index, a common one checks each
trace the list reads) return exactly the traces whose inputs or outputs hold the words, checked
against the payloads themselves, with filters and pages, on both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from theodolite.cli.demo_command import run_demo
from theodolite.query.filters import TraceFilter
from theodolite.server.settings import Settings
from theodolite.storage import tables
from theodolite.storage.engine import Database, open_database
from theodolite.storage.search import matching_traces
from theodolite.storage.search_text import extract_text, parse_query, tokens
from theodolite.storage.sql.queries.traces import RARE_SEARCH_ROWS, list_traces


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'demo.db'}"
    else:
        from tests.conftest import new_postgres_database

        url = new_postgres_database(request.getfixturevalue("postgres_server"))
    run_demo(Settings(database_url=url), days=2, traces_per_day=1000, seed=3, serve=False)
    database = open_database(url)
    yield database, _words_by_trace(database)
    database.dispose()


def _words_by_trace(database: Database) -> dict[str, list[list[str]]]:
    """Each trace's observations' tokens, from the stored payloads (the oracle)."""
    o, p = tables.observations, tables.observation_payloads
    found: dict[str, list[list[str]]] = {}
    with database.connect() as conn:
        rows = conn.execute(select(o.c.trace_id, p.c.payload).join(p, p.c.observation_seq == o.c.seq))
        for trace_id, payload in rows:
            text = extract_text(payload.get("input"), payload.get("output"))
            found.setdefault(trace_id, []).append(tokens(text))
    return found


def _all_pages(database: Database, filters: TraceFilter) -> list[dict]:
    items, cursor = [], None
    for _ in range(100):  # bounded: 2,000 traces, 200 a page
        page, cursor = list_traces(database, 1, filters, limit=200, cursor=cursor)
        items += page
        if cursor is None:
            return items
    raise AssertionError("too many pages")


@pytest.mark.parametrize(
    ("search", "common"),
    [
        ("the", True),
        ("you", True),
        ("a", True),
        ("webhook", False),
        ("экспорт", False),
        ("款", False),
        ("греет", False),
    ],
)
def test_each_plan_finds_exactly_the_traces_holding_the_words(demo, search: str, common: bool) -> None:  # type: ignore[no-untyped-def]
    demo, words_by_trace = demo
    query = parse_query(search)
    with demo.connect() as conn:
        matches = len(conn.execute(matching_traces(demo.dialect_name, 1, query, RARE_SEARCH_ROWS + 1)).all())
    assert (matches > RARE_SEARCH_ROWS) == common  # the plan this case is about
    (word,) = query.tokens

    def holds(documents: list[list[str]]) -> bool:
        return any(token == word or (query.prefix and token.startswith(word)) for doc in documents for token in doc)

    expected = {trace_id for trace_id, documents in words_by_trace.items() if holds(documents)}
    listed = _all_pages(demo, TraceFilter(search=search))
    assert {item["id"] for item in listed} == expected
    assert len(listed) == len(expected)  # no trace twice across pages
    order = [(item["timestamp"], item["id"]) for item in listed]
    assert order == sorted(order, reverse=True)  # newest first

    # With filters: a user, and a time range.
    user = "user-007"
    by_user = {item["id"] for item in _all_pages(demo, TraceFilter(user_id=user))}
    assert {item["id"] for item in _all_pages(demo, TraceFilter(search=search, user_id=user))} == expected & by_user
    if listed:
        newest = listed[0]["timestamp"]
        window = TraceFilter(start=newest - timedelta(hours=6), end=newest + timedelta(seconds=1))
        in_window = {item["id"] for item in _all_pages(demo, window)}
        window.search = search
        assert {item["id"] for item in _all_pages(demo, window)} == expected & in_window
