"""The sessions list, walked from the traces (`storage/sql/queries/groups.py`), pages exactly like the order it
promises, on both engines: latest activity first (in a range with an end, the last trace before
it), ties by session id, the sessions with a trace in the range only, every session once, each with
the sums and first and last timestamps of all its traces; by a walk of the traces and by grouping
the project's few traces in sessions alike. Steps of 3 traces and pages of 2,
so that pages, steps and equal timestamps all cross."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from tests.support.builders import T0, prepared, trace_batch
from theodolite.storage.engine import Database
from theodolite.storage.metadata.projects import get_or_create_project
from theodolite.storage.sql.queries import groups
from theodolite.storage.writer import SqlWriter


@pytest.fixture
def stored(database: Database) -> tuple[int, list[tuple]]:
    project, _ = get_or_create_project(database, "walk")
    other, _ = get_or_create_project(database, "other")
    rng = random.Random(3)
    traces = []
    batches = []
    for _ in range(40):
        at = T0 + timedelta(minutes=rng.randrange(0, 12))  # many equal timestamps
        session = rng.choice([f"s{i}" for i in range(12)] + [None])
        tokens = rng.randrange(1, 50)
        batches.append(trace_batch(at=at, session_id=session, tokens=(tokens, 1)))
        traces.append((at, session, tokens))
    writer = SqlWriter(database)
    try:
        writer.commit([prepared(database, project, batch) for batch in batches])
        writer.catch_up()
        # Another project's sessions of the same names never show.
        writer.commit([prepared(database, other, trace_batch(at=T0 + timedelta(hours=1), session_id="s1"))])
        writer.catch_up()
    finally:
        writer.close()
    return project, traces


def _expected(traces: list[tuple], start=None, end=None) -> list[tuple]:
    sessions: dict[str, list[tuple]] = {}
    for at, session, tokens in traces:
        if session is not None:
            sessions.setdefault(session, []).append((at, tokens))
    rows = []
    for key, mine in sessions.items():
        first, last = min(at for at, _ in mine), max(at for at, _ in mine)
        inside = [at for at, _ in mine if (start is None or at >= start) and (end is None or at < end)]
        if inside:
            rows.append((max(inside), key, last, first, len(mine), sum(tokens for _, tokens in mine)))
    return [row[1:] for row in sorted(rows, reverse=True)]


@pytest.mark.parametrize("walked", [True, False], ids=["walked", "grouped"])
@pytest.mark.parametrize(
    "window", [(None, None), (3, None), (None, 6), (4, 8)], ids=["all", "since", "until", "between"]
)
def test_sessions_page_in_order_with_their_sums(
    database: Database, stored: tuple[int, list[tuple]], monkeypatch: pytest.MonkeyPatch, window: tuple, walked: bool
) -> None:
    # A project with many traces in sessions walks its traces; one with few groups them all.
    monkeypatch.setattr(groups, "FEW_SESSION_TRACES", 0 if walked else 1_000)
    monkeypatch.setattr(groups, "WALK_CHUNK", 3)
    project, traces = stored
    start, end = (T0 + timedelta(minutes=m) if m is not None else None for m in window)
    got = []
    cursor = None
    for _ in range(40):
        page, cursor = groups.list_sessions(database, project, start=start, end=end, limit=2, cursor=cursor)
        got += [
            (row["session_id"], row["last_seen"], row["first_seen"], row["trace_count"], row["input_tokens"])
            for row in page
        ]
        if cursor is None:
            break
    expected = _expected(traces, start, end)
    assert expected, "the window should hold some sessions"
    assert got == expected
