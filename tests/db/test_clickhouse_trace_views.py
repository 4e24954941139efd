"""The trace list's orders and totals filters, the filter options and the trace page read on ClickHouse
as on the SQL store, item by item: the same demo traffic in both (`tests/support/clickhouse_stores.py`),
every page walked to the end with cursors, the JSON shapes compared (SQL's `seq` aside)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

try:
    import chdb  # noqa: F401
    import clickhouse_connect  # noqa: F401
except ImportError as error:
    pytest.skip(f"embedded ClickHouse (chdb + clickhouse-connect) is not installed: {error}", allow_module_level=True)

from tests.support.clickhouse_stores import HOUR_END, comparable
from theodolite.errors import BadRequestError, NotFoundError
from theodolite.query.filters import SORT_KEYS, ScoreFilter, Sort, TraceFilter

SORTS = [*SORT_KEYS, "score:relevance", "score:user-feedback"]


def walk(store: Any, project_id: int, filters: TraceFilter, limit: int = 37) -> tuple[list[dict], int]:
    items, cursor, pages = [], None, 0
    while True:
        page, cursor = store.list_traces(project_id, filters, limit=limit, cursor=cursor)
        items += page
        pages += 1
        if cursor is None:
            return items, pages


def assert_same_list(stores: Any, filters: TraceFilter, limit: int = 37) -> list[dict]:
    sql, clickhouse, project_id = stores
    want, want_pages = walk(sql, project_id, filters, limit)
    got, got_pages = walk(clickhouse, project_id, filters, limit)
    assert [item["id"] for item in got] == [item["id"] for item in want], filters
    assert comparable(got) == comparable(want)
    assert got_pages == want_pages
    return want


@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize("sort", SORTS)
def test_every_order_pages_as_on_sql(stores: Any, sort: str, order: str) -> None:
    want = assert_same_list(stores, TraceFilter(sort=Sort.parse(sort, order)))
    assert len(want) > 400  # every trace, those without the value last


@pytest.mark.parametrize(
    "given",
    [
        {"sort": Sort("cost"), "start": HOUR_END - timedelta(hours=30), "end": HOUR_END - timedelta(hours=6)},
        {"sort": Sort("latency", descending=False), "model": "gpt-4o-mini"},
        {"sort": Sort("user"), "tags": ["prod"]},
        {"sort": Sort("tokens"), "level": "error"},
        {"sort": Sort("name", descending=False), "user_id": "user-001"},
        {"sort": Sort("score:relevance", descending=False), "environment": "production"},
        {"cost_min": Decimal("0.001")},
        {"cost_max": Decimal("0.0005"), "sort": Sort("cost", descending=False)},
        {"latency_min": 2.0, "latency_max": 8.0},
        {"latency_max": 1.0, "sort": Sort("latency")},
        {"scores": [ScoreFilter.parse("relevance>=0.8")]},
        {"scores": [ScoreFilter.parse("user-feedback=0")], "sort": Sort("session")},
        {"scores": [ScoreFilter.parse("relevance>0.5"), ScoreFilter.parse("user-feedback!=0")]},
        {"cost_min": Decimal("0.0001"), "latency_min": 1.0, "sort": Sort("level", descending=False)},
    ],
    ids=str,
)
def test_filters_on_totals_and_scores_page_as_on_sql(stores: Any, given: dict) -> None:
    want = assert_same_list(stores, TraceFilter(**given), limit=11)
    assert want, given  # each case lists some traces


def test_a_cursor_of_one_order_is_refused_by_another(stores: Any) -> None:
    sql, clickhouse, project_id = stores
    for store in (sql, clickhouse):
        _, by_cost = store.list_traces(project_id, TraceFilter(sort=Sort("cost")), limit=5, cursor=None)
        _, by_time = store.list_traces(project_id, TraceFilter(), limit=5, cursor=None)
        assert by_cost and by_time
        for other in (Sort("cost", descending=False), Sort("latency"), Sort()):
            with pytest.raises(BadRequestError):
                store.list_traces(project_id, TraceFilter(sort=other), limit=5, cursor=by_cost)
        with pytest.raises(BadRequestError):
            store.list_traces(project_id, TraceFilter(sort=Sort("cost")), limit=5, cursor=by_time)
        with pytest.raises(BadRequestError):
            store.list_traces(project_id, TraceFilter(sort=Sort("cost")), limit=5, cursor="bm90LWEtY3Vyc29y")


@pytest.mark.parametrize(
    "window",
    [
        (None, None, 200),
        (HOUR_END - timedelta(hours=30), HOUR_END - timedelta(hours=6), 200),
        (HOUR_END - timedelta(hours=30), None, 2),
    ],
    ids=str,
)
def test_filter_options_answer_as_on_sql(stores: Any, window: tuple) -> None:
    sql, clickhouse, project_id = stores
    start, end, limit = window
    want = sql.list_trace_filter_options(project_id, start=start, end=end, limit=limit)
    got = clickhouse.list_trace_filter_options(project_id, start=start, end=end, limit=limit)
    assert got == want
    assert want["names"] and want["models"]


def _sampled_traces(stores: Any) -> list[str]:
    sql, _, project_id = stores
    listed, _ = sql.list_traces(project_id, TraceFilter(), limit=400, cursor=None)
    return [item["id"] for item in listed[::23]]


@pytest.mark.parametrize("max_observations", [10_000, 3])
def test_the_trace_skeleton_reads_as_on_sql(stores: Any, max_observations: int) -> None:
    sql, clickhouse, project_id = stores
    truncated = 0
    for trace_id in _sampled_traces(stores):
        want = sql.trace_skeleton(project_id, trace_id, max_observations=max_observations)
        got = clickhouse.trace_skeleton(project_id, trace_id, max_observations=max_observations)
        assert comparable(got) == comparable(want), trace_id
        truncated += want["truncated"]
    assert truncated == 0 if max_observations == 10_000 else truncated > 0
    with pytest.raises(NotFoundError):
        clickhouse.trace_skeleton(project_id, "no-such-trace", max_observations=10)


def test_observation_details_read_as_on_sql(stores: Any) -> None:
    sql, clickhouse, project_id = stores
    compared = scored = 0
    for trace_id in _sampled_traces(stores):
        skeleton = sql.trace_skeleton(project_id, trace_id, max_observations=100)
        for observation_id in skeleton["observations"]["id"]:
            want = sql.observation_detail(project_id, trace_id, observation_id)
            got = clickhouse.observation_detail(project_id, trace_id, observation_id)
            assert comparable(got) == comparable(want), (trace_id, observation_id)
            compared += 1
            scored += bool(want["scores"])
    assert compared > 50 and scored
    with pytest.raises(NotFoundError):
        clickhouse.observation_detail(project_id, trace_id, "no-such-observation")


@pytest.mark.parametrize("text", ["the", "REFUND", "Order", "zzz-nothing"])
def test_search_within_a_trace_answers_as_on_sql(stores: Any, text: str) -> None:
    sql, clickhouse, project_id = stores
    found = 0
    for trace_id in _sampled_traces(stores):
        for limit in (500, 2):
            want = sql.search_trace(project_id, trace_id, text, max_observations=limit)
            assert clickhouse.search_trace(project_id, trace_id, text, max_observations=limit) == want
            found += len(want["ids"])
    assert found > 0 or text == "zzz-nothing"
