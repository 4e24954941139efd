"""The trace list in any order but the default: by name, user, session, tags, latency, tokens, cost,
level or a named score, and the filters on cost, latency and scores.

An order on a value summed from observations (name, tags, latency, tokens, cost, level) reads
chunks of `trace_totals` sorted with a LIMIT (`sorted_chunks.py`: no index per order, which cost
the ingest writer a random insert per trace); user and session read the traces' (project, user or
session, timestamp) indexes, a score `trace_scores`' (project, name, value, trace id), each
already in its order; a filter matching few traces drives any order (`small_set`, below). Ties are
broken by timestamp then id, in the same direction (a score's by trace id), so that the cursor is a
keyset: the last row's (value, timestamp, id), and the next page is the rows after it in the order.

A trace without the value (no name, no tags, no end time, no known cost, no such score, no user or
session) comes after every trace with one, in both directions, newest first: the list is two
segments, and the cursor says which one it is in. Cost `null` means no provider call had a known
cost, so an unpriced trace is never sorted as $0.

Traces keep arriving while someone scrolls, and a new span changes a trace's latency, tokens or cost:
so, as the time order does with its snapshot, a later page leaves out the traces changed since the
first page (`changed_seq` above the snapshot). Such a trace is missing from that scroll (a new list
shows it), never returned twice, and every other trace pages exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, func, select, tuple_

from theodolite.query.filters import COMPARISONS, SORT_KEYS, ScoreFilter, Sort
from theodolite.query.sort_keysets import NULLABLE, keyset_kinds
from theodolite.storage import tables
from theodolite.storage.expressions import ordered_join, string_list

t = tables.traces
tt = tables.trace_totals
sc = tables.trace_scores

# sort name -> the column it orders by (None: the trace's timestamp) and whether it can be NULL.
SORTS: dict[str, tuple[Any, bool]] = {
    "time": (None, False),
    "name": (tt.c.name_key, True),
    "user": (t.c.user_id, True),
    "session": (t.c.session_id, True),
    "tags": (tt.c.tags_key, True),
    "latency": (tt.c.latency_s, True),
    "tokens": (tt.c.total_tokens, False),
    "cost": (tt.c.total_cost, True),
    "level": (tt.c.level_rank, False),
}
assert tuple(SORTS) == SORT_KEYS, "every sort the filters accept has a column here"
assert NULLABLE == {name for name, (_, nullable) in SORTS.items() if nullable}


def score_matches(score: ScoreFilter, scores: Any = sc) -> Any:
    """`score` on `trace_scores` rows."""
    return and_(scores.c.name == score.name, getattr(scores.c.value, COMPARISONS[score.op])(score.value))


def score_condition(score: ScoreFilter, project_id: int, trace_id: Any) -> Any:
    # An alias: a score sort has trace_scores in the outer query, which the EXISTS would
    # otherwise correlate to (and lose its own FROM).
    scores = sc.alias("score_filter")
    return exists().where(
        scores.c.project_id == project_id, scores.c.trace_id == trace_id, score_matches(score, scores)
    )


@dataclass(slots=True)
class Ordering:
    """The ORDER BY and keyset of one sort within one segment (0: with a value, 1: without)."""

    columns: list[Any]  # the keyset, in order
    descending: bool
    condition: Any  # which rows the segment holds
    snapshot_column: Any

    def after(self, values: list[Any]) -> Any:
        keys, bounds = tuple_(*self.columns), tuple_(*values)
        return keys < bounds if self.descending else keys > bounds

    def order_by(self, by_index: bool = True) -> list[Any]:
        """`by_index=False` hides the columns from the planner (coalesce(x, x) is x): the rows come from
        a small set and sorting them beats walking an index in order (which SQLite prefers)."""
        columns = self.columns if by_index else [func.coalesce(column, column) for column in self.columns]
        return [column.desc() if self.descending else column.asc() for column in columns]


def ordering(sort: Sort, segment: int) -> Ordering:
    """Segment 1 holds the traces without the sort's value, newest first (`query/sort_keysets.py`)."""
    order = _ordering(sort, segment)
    assert len(order.columns) == len(keyset_kinds(sort, segment))
    return order


def _ordering(sort: Sort, segment: int) -> Ordering:
    score = sort.score_name
    if score is not None:
        if segment == 0:
            return Ordering([sc.c.value, sc.c.trace_id], sort.descending, sc.c.name == score, sc.c.changed_seq)
        without = ~exists().where(
            sc.c.project_id == tt.c.project_id, sc.c.trace_id == tt.c.trace_id, sc.c.name == score
        )
        return Ordering([tt.c.timestamp, tt.c.trace_id], True, without, tt.c.changed_seq)
    column, _nullable = SORTS[sort.name]
    if column is None:
        return Ordering([tt.c.timestamp, tt.c.trace_id], sort.descending, None, t.c.timestamp_seq)
    if column.table is t:  # user, session: the traces' own (project, column, timestamp) indexes
        if segment == 0:
            return Ordering([column, t.c.timestamp, t.c.id], sort.descending, column.is_not(None), tt.c.changed_seq)
        return Ordering([t.c.timestamp, t.c.id], True, column.is_(None), tt.c.changed_seq)
    if segment == 0:
        return Ordering([column, tt.c.timestamp, tt.c.trace_id], sort.descending, column.is_not(None), tt.c.changed_seq)
    return Ordering([tt.c.timestamp, tt.c.trace_id], True, column.is_(None), tt.c.changed_seq)


def source(sort: Sort, segment: int, project_id: int, driver: list[str] | None, dialect_name: str) -> Any:
    """FROM: trace_totals joined to traces by the trace's key; a score's rows first for its segment 0.
    With a `driver` (the few trace keys a rare filter matches) traces come first."""
    if driver is not None:
        # The small set's keys are the first table: as `traces.id IN (...)` SQLite still preferred to
        # scan an index of every trace.
        rows = string_list(driver, dialect_name)
        joined = ordered_join(
            ordered_join(rows, t, and_(t.c.id == rows.c.value, t.c.project_id == project_id)),
            tt,
            and_(tt.c.project_id == project_id, tt.c.timestamp == t.c.timestamp, tt.c.trace_id == t.c.id),
        )
        if sort.score_name is not None and segment == 0:
            joined = joined.join(sc, and_(sc.c.project_id == project_id, sc.c.trace_id == t.c.id))
        return joined
    if by_trace_index(sort):
        return t
    joined = tt.join(t, and_(t.c.id == tt.c.trace_id, t.c.project_id == project_id))
    if sort.score_name is not None and segment == 0:  # score rows, then their traces
        return sc.join(t, and_(sc.c.project_id == project_id, t.c.id == sc.c.trace_id, t.c.project_id == project_id))
    return joined


def probes_totals(sort: Sort, segment: int, driver: list[str] | None) -> bool:
    """Whether `trace_totals` is only probed (EXISTS) rather than joined: when another index drives
    (the traces' own for user and session, trace_scores' for a score). Joined, SQLite would drive
    from it and sort every trace, and PostgreSQL, misjudging the join on (timestamp, key) as one
    row, hashed every score."""
    return driver is None and (by_trace_index(sort) or (sort.score_name is not None and segment == 0))


def by_trace_index(sort: Sort) -> bool:
    """Whether the sort reads the traces' own index (user, session): then `trace_totals` is only
    probed (EXISTS), since SQLite would otherwise drive the join from it and sort every trace."""
    return sort.name in ("user", "session")


def segment_statement(
    sort: Sort,
    segment: int,
    project_id: int,
    conditions: list[Any],
    totals_conditions: list[Any],
    columns: list[Any],
    after: list[Any] | None,
    snapshot: int | None,
    limit: int,
    driver: list[str] | None,
    dialect_name: str,
) -> Any:
    """`conditions` hold on traces (and on the trace's timestamp and key as `trace_columns` gives
    them), `totals_conditions` on `trace_totals`. `driver`: see `source`."""
    order = ordering(sort, segment)
    totals_conditions = list(totals_conditions)
    if snapshot is not None and order.snapshot_column.table is tt:
        totals_conditions.append(order.snapshot_column <= snapshot)
    elif snapshot is not None:
        conditions = [*conditions, order.snapshot_column <= snapshot]
    if driver is not None:
        where = [t.c.project_id == project_id, *conditions, *totals_conditions]
    elif probes_totals(sort, segment, driver):
        where = [t.c.project_id == project_id, *conditions]
        if totals_conditions:
            where.append(
                exists().where(
                    tt.c.project_id == project_id,
                    tt.c.timestamp == t.c.timestamp,
                    tt.c.trace_id == t.c.id,
                    *totals_conditions,
                )
            )
    else:
        where = [tt.c.project_id == project_id, *conditions, *totals_conditions]
    if order.condition is not None:
        where.append(order.condition)
    if after is not None:
        where.append(order.after(after))
    statement = (
        select(*columns, *(column.label(f"k{i}") for i, column in enumerate(order.columns)))
        .select_from(source(sort, segment, project_id, driver, dialect_name))
        .where(*where)
        .order_by(*order.order_by(by_index=driver is None))
        .limit(limit)
    )
    return statement


def trace_columns(sort: Sort, driver: Any | None) -> tuple[Any, Any]:
    """The trace's timestamp and key in the sort's query."""
    on_traces = by_trace_index(sort) or sort.score_name is not None or driver is not None
    return (t.c.timestamp, t.c.id) if on_traces else (tt.c.timestamp, tt.c.trace_id)


# A filter matching fewer traces than this drives the query: its traces are read and sorted (a
# bounded sort), instead of walking the sort's index until enough of them pass (which, for a rare
# value, means every trace). Above it, the sort's index finds a page within a few thousand rows.
SMALL_SET = 10_000


def small_set(conn: Any, candidates: list[tuple[Any, Any]]) -> tuple[list[str] | None, Any]:
    """(keys, tag) of the candidate matching the fewest traces, when that is under SMALL_SET, else
    (None, None). A candidate is (tag, a SELECT of `trace_id`); each is counted up to SMALL_SET only
    (a bounded index range)."""
    best, fewest = None, SMALL_SET
    for candidate in candidates:
        bounded = candidate[1].limit(SMALL_SET).subquery()
        count = conn.execute(select(func.count()).select_from(bounded)).scalar_one()
        if count < fewest:
            best, fewest = candidate, count
    if best is None:
        return None, None
    return list(conn.execute(best[1].limit(SMALL_SET)).scalars()), best[0]


def page_keys(row: Any, sort: Sort, segment: int) -> list[Any]:
    count = len(ordering(sort, segment).columns)
    return [_plain(getattr(row, f"k{i}")) for i in range(count)]


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value
