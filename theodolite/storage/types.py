"""Column types whose storage differs by engine; each difference lives here and nowhere else.

- UtcDateTime: `timestamptz` on PostgreSQL (Grafana's time macros need it), ISO text on SQLite.
- JsonDocument: `jsonb` on PostgreSQL (so `metadata->>'agent'` works as in Langfuse v2), JSON text
  on SQLite (whose json operators read it too).
- Payload: inputs and outputs. `jsonb` on PostgreSQL, where TOAST already compresses large values;
  zlib-compressed JSON on SQLite, which compresses nothing itself and would otherwise spend most of
  its file on prompt text.
- Money: `numeric` on PostgreSQL; REAL on SQLite (no decimal type there), converted back to Decimal.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Float, LargeBinary, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

# Level 1: ~3x on prompt text at a fraction of level 6's CPU; the writer thread is the bottleneck.
PAYLOAD_ZLIB_LEVEL = 1


def dumps_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc) if dialect.name != "sqlite" else value
        value = value.astimezone(timezone.utc)
        # SQLite's DateTime storage ignores tzinfo; store naive UTC so text order is time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


JsonDocument: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")


class Payload(TypeDecorator[Any]):
    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return zlib.compress(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str), PAYLOAD_ZLIB_LEVEL)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return orjson.loads(zlib.decompress(value))


class Money(TypeDecorator[Decimal]):
    impl = Numeric(24, 12)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Float())
        return dialect.type_descriptor(Numeric(24, 12))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return float(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(repr(value))
