"""The trace list ordered by a value summed into `trace_totals` (name, tags, latency, tokens, cost,
level), read in chunks of that table alone.

Ordering needs no index: `trace_totals` is keyed by (project, timestamp, trace), so a time range is
one range of it, and SQLite's top-k sorter (`ORDER BY ... LIMIT n`) reads 180,000 rows and keeps
the first n in 14-18 ms (the 1,000,000-observation demo database, docs/ingestion.md). An index per
order cost the ingest writer a random-order insert per trace for each of the six, which is most of
what the totals added to it. What made an index-less sort slow (170-230 ms) was joining every
candidate row to `traces` for the filters before sorting; here the join is done on a chunk:

1. read the next `CHUNK` rows of the order from `trace_totals` alone (range, cost and latency
   bounds, the filters with an index of its own as conditions on its rows, the keyset after the
   cursor or the previous chunk, the snapshot);
2. keep those whose trace passes the filters on the traces' own columns (one query over the
   chunk's keys; with none, the first rows are the page);
3. stop when the page is full or the order has no more rows.

A filter matching fewer than `SMALL_SET` traces never comes here: its traces drive (`trace_sorts`).
So every filter here matches at least 10,000 traces, one in 18 of the demo's 180,000, and a chunk
of 2,000 rows holds ~110 of them: one chunk fills a page.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from theodolite.query.filters import Sort
from theodolite.storage import tables
from theodolite.storage.sql.queries.trace_sorts import SORTS, ordering

t = tables.traces
tt = tables.trace_totals

CHUNK = 2_000


def reads_chunks(sort: Sort, driver: list[str] | None) -> bool:
    """Whether this order is read here: a `trace_totals` value, and no small set driving."""
    if driver is not None or sort.score_name is not None:
        return False
    column, _nullable = SORTS[sort.name]
    return column is not None and column.table is tt


KeyFilter = Callable[[Connection, list[str]], set[str]]


def read_segment(
    conn: Connection,
    sort: Sort,
    segment: int,
    project_id: int,
    totals_conditions: list[Any],
    passing: KeyFilter | None,
    after: list[Any] | None,
    snapshot: int | None,
    wanted: int,
) -> list[Any]:
    """Up to `wanted` rows of one segment of the order (see `trace_sorts.ordering`), each with the
    keyset values `k0`, `k1`, ... and the trace's storage key `key`. `totals_conditions` hold on
    `trace_totals` (the time range among them); `passing(conn, keys)` returns the keys whose traces
    pass the other filters (None: there are none, and every row of the order is listed)."""
    order = ordering(sort, segment)
    where = [tt.c.project_id == project_id, *totals_conditions]
    if order.condition is not None:
        where.append(order.condition)
    if snapshot is not None:
        where.append(order.snapshot_column <= snapshot)
    labels = [column.label(f"k{index}") for index, column in enumerate(order.columns)]
    found: list[Any] = []
    size = CHUNK if passing is not None else wanted  # nothing to check: the first rows are the page
    while len(found) < wanted:
        bounded = [*where, order.after(after)] if after is not None else where
        statement = select(*labels, tt.c.trace_id.label("key")).where(*bounded).order_by(*order.order_by()).limit(size)
        chunk = conn.execute(statement).all()
        if not chunk:
            break
        kept = passing(conn, [row.key for row in chunk]) if passing is not None else None
        for row in chunk:
            if kept is None or row.key in kept:
                found.append(row)
                if len(found) == wanted:
                    break
        if len(chunk) < size:
            break
        after = [getattr(chunk[-1], label.name) for label in labels]
    return found


def with_traces(conn: Connection, project_id: int, rows: list[tuple[int, Any]], columns: list[Any]) -> list[Any]:
    """(segment, row) pairs of `read_segment` with the trace's `columns` added, as the list's
    other statements return them (the columns by name, the keyset as `k0`...)."""
    keys = [row.key for _, row in rows]
    traces = {
        trace.id: trace
        for trace in conn.execute(select(*columns).where(t.c.project_id == project_id, t.c.id.in_(keys)))
    }
    result = []
    for segment, row in rows:
        trace = traces.get(row.key)
        if trace is None:  # a trace always has its totals row; never list a half
            continue
        values = dict(trace._mapping) | {name: value for name, value in row._mapping.items() if name != "key"}
        result.append((segment, SimpleNamespace(**values)))
    return result
