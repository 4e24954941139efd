"""The trace list's orders as keysets, engine-neutral: which orders put the traces without a value in
a second segment, what each segment's keyset holds, and the cursor that carries it.

Every order but a score's sorts segment 0 by (value, timestamp, trace id) in its direction; a
score's by (mean value, trace id). Segment 1 holds the traces without the value, newest first
(timestamp, trace id). Each store orders by its own columns (`storage/sql/queries/trace_sorts.py`,
`storage/clickhouse/queries/trace_sorts.py`); the cursor is the last row's keyset, its sort and
direction (a cursor of another order is a 400) and the snapshot of the store that has one.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from theodolite.errors import BadRequestError
from theodolite.query.filters import SORT_KEYS, Sort
from theodolite.query.pagination import decode_cursor, encode_cursor

# Sorts whose value a trace may lack (no name, user, session or tags, no end time, no known cost).
NULLABLE = frozenset({"name", "user", "session", "tags", "latency", "cost"})
assert NULLABLE <= set(SORT_KEYS)
TIME, MONEY, PLAIN = "time", "money", "plain"  # how a keyset value is read back from a cursor


def segments(sort: Sort) -> tuple[int, ...]:
    return (0, 1) if sort.score_name is not None or sort.name in NULLABLE else (0,)


def keyset_kinds(sort: Sort, segment: int) -> tuple[str, ...]:
    """The kinds of a segment's keyset values, in order."""
    if segment == 1 or sort.name == "time":
        return (TIME, PLAIN)
    if sort.score_name is not None:
        return (PLAIN, PLAIN)
    return (MONEY if sort.name == "cost" else PLAIN, TIME, PLAIN)


def encode_sorted_cursor(sort: Sort, segment: int, keys: list[Any], snapshot: int) -> str:
    plain = [str(value) if isinstance(value, Decimal) else value for value in keys]
    return encode_cursor(sort.name, "desc" if sort.descending else "asc", segment, plain, snapshot)


def decode_sorted_cursor(cursor: str, sort: Sort) -> tuple[int, list[Any], int]:
    """(segment, keyset values, snapshot); a cursor of another sort is a 400."""
    name, order, segment, keys, snapshot = decode_cursor(cursor, 5)
    if name != sort.name or order != ("desc" if sort.descending else "asc"):
        raise BadRequestError("cursor belongs to another sort order: start again without it")
    if segment not in segments(sort) or not isinstance(keys, list) or not isinstance(snapshot, int):
        raise BadRequestError("cursor is not one this server issued")
    kinds = keyset_kinds(sort, segment)
    if len(keys) != len(kinds):
        raise BadRequestError("cursor is not one this server issued")
    try:
        values = [_typed(kind, value) for kind, value in zip(kinds, keys, strict=True)]
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise BadRequestError("cursor is not one this server issued") from exc
    return segment, values, snapshot


def _typed(kind: str, value: Any) -> Any:
    if value is None:
        raise ValueError("no value")
    if kind == TIME:
        return datetime.fromisoformat(value)
    if kind == MONEY:
        return Decimal(value)
    return value
