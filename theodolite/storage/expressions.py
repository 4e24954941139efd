"""SQL expressions whose spelling differs by engine, one function per operation."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import and_, exists, func, literal, select, text
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
    selective, where SQLite's estimate would walk `right`'s index instead (`query/trace_sorts.py`)."""
    return OrderedJoin(left, right, onclause)


def string_list(values: list[str], dialect_name: str) -> Any:
    """A table of `values` (one column, `value`) from one bound JSON array: a few thousand keys to
    read first, without a parameter per key."""
    document = literal(dumps_json(values))
    if dialect_name == "postgresql":
        return func.jsonb_array_elements_text(cast(document, JSONB)).table_valued("value").alias("driver")
    return func.json_each(document).table_valued("value").alias("driver")
