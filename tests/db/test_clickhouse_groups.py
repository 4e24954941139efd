"""Sessions and users read on ClickHouse as on the SQL store, item by item: the lists walked to the end
with cursors (with and without a time range), every session's turns page by page, users' daily series
and recent traces (`tests/support/clickhouse_stores.py`: the same demo traffic in both)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

try:
    import chdb  # noqa: F401
    import clickhouse_connect  # noqa: F401
except ImportError as error:
    pytest.skip(f"embedded ClickHouse (chdb + clickhouse-connect) is not installed: {error}", allow_module_level=True)

from tests.support.clickhouse_stores import HOUR_END, comparable
from theodolite.errors import BadRequestError, NotFoundError

WINDOWS = [
    (None, None),
    (HOUR_END - timedelta(hours=30), HOUR_END - timedelta(hours=6)),
    (HOUR_END - timedelta(hours=10), None),
    (None, HOUR_END - timedelta(hours=40)),
]


def walk(read: Any, limit: int) -> tuple[list[dict], int]:
    items, cursor, pages = [], None, 0
    while True:
        page, cursor = read(cursor, limit)
        items += page
        pages += 1
        if cursor is None:
            return items, pages


@pytest.mark.parametrize("window", WINDOWS, ids=str)
@pytest.mark.parametrize("kind", ["sessions", "users"])
def test_the_lists_page_as_on_sql(stores: Any, kind: str, window: tuple) -> None:
    sql, clickhouse, project_id = stores
    start, end = window
    found = {}
    for name, store in (("sql", sql), ("clickhouse", clickhouse)):
        method = getattr(store, f"list_{kind}")
        found[name] = walk(
            lambda cursor, limit, m=method: m(project_id, start=start, end=end, limit=limit, cursor=cursor), 7
        )
    (want, want_pages), (got, got_pages) = found["sql"], found["clickhouse"]
    assert len(want) > 3, window
    assert comparable(got) == comparable(want)
    assert got_pages == want_pages


def test_every_session_reads_as_on_sql_page_by_page(stores: Any) -> None:
    sql, clickhouse, project_id = stores
    sessions, _ = sql.list_sessions(project_id, start=None, end=None, limit=500, cursor=None)
    assert len(sessions) > 10
    turns = with_words = 0
    for session in sessions:
        key = session["session_id"]
        pages = {}
        for name, store in (("sql", sql), ("clickhouse", clickhouse)):
            answers, cursor = [], None
            while True:
                answer = store.get_session(project_id, key, limit=2, cursor=cursor)
                answers.append(answer)
                cursor = answer["next_cursor"]
                if cursor is None:
                    break
            pages[name] = answers
        assert len(pages["clickhouse"]) == len(pages["sql"])
        for got, want in zip(pages["clickhouse"], pages["sql"], strict=True):
            assert comparable({**got, "next_cursor": None}) == comparable({**want, "next_cursor": None}), key
            turns += len(want["turns"])
            with_words += sum(turn["input"]["text"] is not None for turn in want["turns"])
    assert turns > 30 and with_words > 10
    with pytest.raises(NotFoundError):
        clickhouse.get_session(project_id, "no-such-session", limit=5, cursor=None)


@pytest.mark.parametrize("window", WINDOWS, ids=str)
def test_users_read_as_on_sql(stores: Any, window: tuple) -> None:
    sql, clickhouse, project_id = stores
    start, end = window
    users, _ = sql.list_users(project_id, start=None, end=None, limit=500, cursor=None)
    assert len(users) > 3
    days = 0
    for user in users:
        want = sql.get_user(project_id, user["user_id"], start=start, end=end)
        got = clickhouse.get_user(project_id, user["user_id"], start=start, end=end)
        assert comparable(got) == comparable(want), user["user_id"]
        days += len(want["daily"])
    assert days > 0
    with pytest.raises(NotFoundError):
        clickhouse.get_user(project_id, "no-such-user", start=None, end=None)


def test_a_cursor_this_server_did_not_issue_is_refused(stores: Any) -> None:
    _, clickhouse, project_id = stores
    for read in (clickhouse.list_sessions, clickhouse.list_users):
        with pytest.raises(BadRequestError):
            read(project_id, start=None, end=None, limit=5, cursor="bm90LWEtY3Vyc29y")
    with pytest.raises(BadRequestError):
        clickhouse.get_session(project_id, "s", limit=5, cursor="bm90LWEtY3Vyc29y")
