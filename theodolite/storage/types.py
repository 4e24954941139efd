"""How each engine stores our values; every per-engine difference in value format lives here.

- UtcDateTime: `timestamptz` on PostgreSQL (Grafana's time macros need it); on SQLite the text
  SQLAlchemy writes, `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, so text order is time order.
- JsonDocument: `jsonb` on PostgreSQL (so `metadata->>'agent'` works as in Langfuse v2), JSON text
  on SQLite (whose `->>` operator reads it too).
- Payload: inputs and outputs. `jsonb` on PostgreSQL, where TOAST compresses large values itself;
  zstd-compressed JSON on SQLite (with trained dictionaries, see `payloads.py`), which compresses
  nothing itself and would otherwise spend most of its file on prompt text.
- Money: `numeric` on PostgreSQL; REAL on SQLite (no decimal type there), read back as Decimal.

The TypeDecorators serve SQLAlchemy statements (reads, small writes). The ingest writer's bulk
path skips SQLAlchemy's per-row processing for speed: `ValueCodec` encodes values beforehand
(where batches are prepared), and must produce exactly what the TypeDecorators would;
`tests/db/test_writer.py` reads bulk-written rows back through the TypeDecorators.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Float, LargeBinary, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from theodolite.storage.payloads import compress_payload, decompress_payload


def dumps_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        # SQLite's DateTime storage ignores tzinfo; store naive UTC.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
        return compress_payload(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return decompress_payload(value)


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


def sqlite_datetime(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime writes, ~15x faster than strftime (hot path)."""
    if value.tzinfo is not UTC and value.tzinfo is not None:
        value = value.astimezone(UTC)
    # timespec keeps ".000000" (SQLAlchemy always writes it); [:26] drops any "+00:00".
    return value.isoformat(" ", "microseconds")[:26]


def _none_safe(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else function(value)


def _identity(value: Any) -> Any:
    return value


class ValueCodec:
    """Turns our Python values into what one engine stores, for the bulk path (see module doc).

    Runs where batches are prepared (the decode workers), so the writer thread only executes
    SQL. Picklable: it travels to worker processes by engine name.
    """

    def __init__(self, dialect_name: str) -> None:
        self.dialect_name = dialect_name
        sqlite = dialect_name == "sqlite"
        self.time = _none_safe(sqlite_datetime) if sqlite else _identity
        self.json = _none_safe(dumps_json) if sqlite else _identity  # psycopg dumps dicts as jsonb
        self.money = _none_safe(float) if sqlite else _identity
        self.payload = compress_payload if sqlite else _identity

    def __reduce__(self) -> tuple[Any, ...]:
        return (ValueCodec, (self.dialect_name,))


def register_postgres_adapters(dbapi_connection: Any) -> None:
    """Dicts and lists as jsonb on this psycopg connection (datetimes and Decimals are native)."""
    from psycopg.types.json import JsonbDumper

    class OrjsonbDumper(JsonbDumper):
        def dump(self, obj: Any) -> bytes:
            return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS, default=str)

    dbapi_connection.adapters.register_dumper(dict, OrjsonbDumper)
    dbapi_connection.adapters.register_dumper(list, OrjsonbDumper)
