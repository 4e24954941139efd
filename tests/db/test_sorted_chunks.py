"""The trace list ordered by a `trace_totals` value, read in chunks (`storage/sql/queries/sorted_chunks.py`), pages
exactly like the same list driven by a small set of traces (`trace_sorts.segment_statement`), on both
engines: every order, both directions, with filters the chunks check and across pages, segments
(traces without the value) and chunk boundaries (chunks of 3 rows, pages of 4)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from tests.support.builders import T0, prepared, trace_batch
from theodolite.model import Level
from theodolite.query import filters
from theodolite.query.filters import Sort, TraceFilter
from theodolite.storage.engine import Database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.sql.queries import sorted_chunks, trace_sorts
from theodolite.storage.sql.queries import traces as trace_queries
from theodolite.storage.sql.queries.traces import list_traces
from theodolite.storage.writer import SqlWriter

ORDERS = ["name", "tags", "latency", "tokens", "cost", "level"]
FILTERS: dict[str, dict[str, Any]] = {
    "none": {},
    "name": {"name": "refund"},
    "model (a facet)": {"model": "claude-sonnet-4-5"},
    "tag": {"tags": ["beta"]},
    "user": {"user_id": "u2"},
    "search": {"search": "hello"},  # every trace's output: a search checked on every chunk
    "cost at least": {"cost_min": filters.parse_money("0.002", "cost_min")},
}


@pytest.fixture
def project(database: Database) -> int:
    project_id, _ = get_or_create_project(database, "chunks")
    rng = random.Random(7)
    levels = [Level.DEFAULT, Level.DEFAULT, Level.WARNING, Level.ERROR]
    batches = [
        trace_batch(
            at=T0 + timedelta(minutes=rng.randrange(0, 5)),  # equal timestamps too: ties down to the key
            name=rng.choice(["refund", "search", "chat"]),
            user_id=rng.choice(["u1", "u2", None]),
            tags=rng.choice([[], ["beta"], ["prod", "beta"]]),
            model=rng.choice(["gpt-4o-mini", "claude-sonnet-4-5"]),
            tokens=(rng.choice([5, 12, 12, 40]), 5),  # many equal values
            cost=rng.choice([None, "0.001", "0.002", "0.003"]),  # None: unpriced, listed after the priced
            level=rng.choice(levels),
        )
        for _ in range(30)
    ]
    writer = SqlWriter(database)
    try:
        writer.commit([prepared(database, project_id, batch) for batch in batches])
        writer.catch_up()  # SQLite's search index follows the commit
    finally:
        writer.close()
    return project_id


def _all_pages(database: Database, project_id: int, filters: TraceFilter) -> list[str]:
    ids: list[str] = []
    cursor = None
    for _ in range(50):
        page, cursor = list_traces(database, project_id, filters, limit=4, cursor=cursor)
        ids += [item["id"] for item in page]
        if cursor is None:
            return ids
    raise AssertionError("the list did not end")


@pytest.mark.parametrize("descending", [True, False], ids=["desc", "asc"])
@pytest.mark.parametrize("order", ORDERS)
def test_chunks_page_like_a_driving_small_set(
    database: Database, project: int, monkeypatch: pytest.MonkeyPatch, order: str, descending: bool
) -> None:
    reads: list[int] = []
    read_segment = trace_queries.read_segment

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return read_segment(*args, **kwargs)

    monkeypatch.setattr(trace_queries, "read_segment", counted)
    monkeypatch.setattr(sorted_chunks, "CHUNK", 3)
    sort = Sort(order, descending)
    for name, fields in FILTERS.items():
        # The reference: a time range around every trace is a small set, which drives.
        whole_day = {"start": T0 - timedelta(hours=1), "end": T0 + timedelta(hours=1)}
        expected = _all_pages(database, project, TraceFilter(sort=sort, **whole_day, **fields))
        reads.clear()
        with monkeypatch.context() as patched:
            patched.setattr(trace_sorts, "SMALL_SET", 0)  # no set is small: the chunks are read
            got = _all_pages(database, project, TraceFilter(sort=sort, **fields))
        assert reads, f"{name}: the chunks were not read"
        assert got == expected, f"{order} {'desc' if descending else 'asc'}, filter {name}"
        assert len(set(got)) == len(got)
        if name in ("none", "search"):
            assert len(got) == 30
        else:
            assert 0 < len(got) < 30, f"{name}: the filter should match some traces, not all"


@pytest.mark.parametrize("order", ["time", "tokens", "name"])
def test_a_commit_that_stores_no_observation_hides_no_trace_from_later_pages(
    database: Database, project: int, order: str
) -> None:
    """A client's retry, or a trace sent before its spans, stores no observation but marks the traces
    it writes. A list's snapshot must cover that mark, or the traces it touched (their `changed_seq`
    above the snapshot) vanish from every page after the first."""
    expected = _all_pages(database, project, TraceFilter(sort=Sort(order)))
    batch = trace_batch(at=T0 + timedelta(minutes=2))
    writer = SqlWriter(database)
    try:
        writer.commit([prepared(database, project, batch)])
        writer.catch_up()
        writer.commit([prepared(database, project, batch)])  # the retry: no new observation
        writer.catch_up()
    finally:
        writer.close()
    pages = _all_pages(database, project, TraceFilter(sort=Sort(order)))
    assert sorted(pages) == sorted([*expected, batch.traces[0].id])
    assert len(pages) == len(set(pages)) == 31
