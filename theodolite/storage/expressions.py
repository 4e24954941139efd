"""SQL expressions whose spelling differs by engine, one function per operation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, func, literal, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import cast

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
