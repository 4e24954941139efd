"""SQL expressions whose spelling differs by engine, one function per operation."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    and_,
    bindparam,
    column,
    delete,
    exists,
    func,
    literal,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import cast
from sqlalchemy.sql.selectable import Join

from theodolite.storage.codec import dumps_json


def json_array_contains(column: ColumnElement, value: str, dialect_name: str) -> ColumnElement[bool]:
    """True where the JSON array in `column` holds the string `value`."""
    if dialect_name == "postgresql":
        return column.op("@>")(cast(literal(dumps_json([value])), JSONB))
    each = func.json_each(column).table_valued("value")
    # instr() first: a plain substring test of the encoded value rejects most rows ~5x faster than
    # json_each (a rare tag reads every trace); json_each then rules out look-alikes (`"a\\"b"`).
    return and_(
        func.instr(column, dumps_json(value)) > 0,
        exists(select(text("1")).select_from(each).where(each.c.value == value)),
    )


def json_text_field(column: ColumnElement, key: str, dialect_name: str) -> ColumnElement[str]:
    """`column->>'key'` on both engines (SQLite >= 3.38 has the same operator)."""
    return column.op("->>")(literal(key))


def utc_day(column: ColumnElement, dialect_name: str) -> ColumnElement[Any]:
    """The UTC calendar day of a UtcDateTime column: a date on PostgreSQL (whatever the session's
    time zone), 'YYYY-MM-DD' text on SQLite (which stores naive UTC text)."""
    if dialect_name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.substr(column, 1, 10)


def time_bucket(column: ColumnElement, step_s: int, dialect_name: str) -> ColumnElement[int]:
    """The time bucket of a timestamp: whole seconds since the epoch divided by `step_s` (an integer,
    the same on both engines, so that buckets align on multiples of the step in UTC)."""
    if dialect_name == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / step_s), BigInteger)
    # SQLite stores naive UTC text; strftime('%s') reads it as UTC. Integer division rounds down
    # for the positive epochs we store.
    return cast(func.strftime("%s", column), Integer) // step_s


def duration_seconds(start: ColumnElement, end: ColumnElement, dialect_name: str) -> ColumnElement[float]:
    """end - start in seconds (NULL when either is NULL)."""
    if dialect_name == "postgresql":
        return func.extract("epoch", end - start)
    # julianday() is a double of days: ~50 µs resolution at today's dates, enough for latencies.
    return (func.julianday(end) - func.julianday(start)) * 86400.0


MONEY_DECIMALS = 12  # the stored precision: numeric(24,12)


def exact_money_sum(value: ColumnElement, dialect_name: str) -> ColumnElement:
    """A sum of amounts with no rounding error; read it with `money_sum_value`.

    PostgreSQL sums numeric exactly. SQLite stores amounts as REAL (shortest repr round-trips each
    stored value, see `types.Money`), and a sum of REALs drifts; so each amount is turned into an
    integer count of 10^-12 dollars, which is exact for amounts under $1,000 per row (the error of
    x * 10^12 in a double stays below 0.5), and integers sum exactly (up to ~$9.2 million).
    """
    if dialect_name == "postgresql":
        return func.sum(value)
    return func.sum(cast(func.round(type_coerce(value, Float) * float(10**MONEY_DECIMALS)), Integer))


def money_sum_value(value: object, dialect_name: str) -> Decimal | None:
    """The Decimal of an `exact_money_sum` (None: no amount was summed)."""
    if value is None:
        return None
    if dialect_name == "postgresql":
        return value if isinstance(value, Decimal) else Decimal(str(value))
    return Decimal(int(value)).scaleb(-MONEY_DECIMALS)  # type: ignore[call-overload]


class OrderedJoin(Join):
    """An inner join that SQLite must run in the written order (`CROSS JOIN`); other engines get a
    plain JOIN and plan it themselves."""

    inherit_cache = True


@compiles(OrderedJoin, "sqlite")
def _ordered_join_sqlite(element: OrderedJoin, compiler: Any, **kw: Any) -> str:
    # SQLite's planner never reorders the tables of a CROSS JOIN (an inner join for everything else).
    # Nested ordered joins come back already rewritten (the lookbehind leaves them).
    return re.sub(r"(?<!CROSS) JOIN ", " CROSS JOIN ", compiler.visit_join(element, **kw))


def ordered_join(left: Any, right: Any, onclause: Any) -> OrderedJoin:
    """`left` JOIN `right` ON `onclause`, `left` read first: for a few keys of `left` known to be
    selective, where SQLite's estimate would walk `right`'s index instead (`storage/sql/queries/trace_sorts.py`)."""
    return OrderedJoin(left, right, onclause)


def string_list(values: list[str], dialect_name: str) -> Any:
    """A table of `values` (one column, `value`) from one bound JSON array: a few thousand keys to
    read first, without a parameter per key."""
    document = literal(dumps_json(values))
    if dialect_name == "postgresql":
        return func.jsonb_array_elements_text(cast(document, JSONB)).table_valued("value").alias("driver")
    return func.json_each(document).table_valued("value").alias("driver")


def rows_of_keys(table: Any, columns: list[Any], keys: list[tuple[Any, ...]]) -> OrderedJoin:
    """`table` joined to a VALUES list of `keys` on `columns` (an index's columns): one index probe
    per key, read in the keys' order. `(a, b) IN ((?, ?), ...)` would say the same, but SQLite
    answers a row-value IN with a scan of the whole table."""
    names = [f"key_{index}" for index in range(len(columns))]
    parameters, rows = [], []
    for row, key in enumerate(keys):
        for name, value, col in zip(names, key, columns, strict=True):
            parameters.append(bindparam(f"{name}_{row}", value, type_=col.type))
        rows.append("(" + ", ".join(f":{name}_{row}" for name in names) + ")")
    # Both engines name a VALUES list's columns column1, column2, ...; SQLite takes no aliases after it.
    renamed = ", ".join(f"column{index + 1} AS {name}" for index, name in enumerate(names))
    listed = (
        text(f"SELECT {renamed} FROM (VALUES {', '.join(rows)}) AS listed")
        .bindparams(*parameters)
        .columns(*(column(name, col.type) for name, col in zip(names, columns, strict=True)))
        .subquery("keys")
    )
    return ordered_join(listed, table, and_(*(col == listed.c[name] for name, col in zip(names, columns, strict=True))))


def delete_keys(conn: Any, table: Any, columns: list[Any], keys: list[tuple[Any, ...]]) -> None:
    """Delete the rows of `table` with these `keys` on `columns`: one statement run per key
    (executemany), each an index probe on both engines (see `rows_of_keys`)."""
    if not keys:
        return
    names = [f"key_{index}" for index in range(len(columns))]
    statement = delete(table).where(
        *(col == bindparam(name, type_=col.type) for name, col in zip(names, columns, strict=True))
    )
    conn.execute(statement, [dict(zip(names, key, strict=True)) for key in keys])
