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
path skips SQLAlchemy's per-row processing for speed: `codec.ValueCodec` encodes values
beforehand (where batches are prepared), and must produce exactly what the TypeDecorators would;
`tests/db/test_writer.py` reads bulk-written rows back through the TypeDecorators.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Float, LargeBinary, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from theodolite.storage.codec import ValueCodec, dumps_json, sqlite_datetime
from theodolite.storage.nul_characters import json_bytes
from theodolite.storage.payloads import compress_payload, decompress_payload


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


def register_postgres_adapters(dbapi_connection: Any) -> None:
    """Dicts and lists as jsonb on this psycopg connection (datetimes and Decimals are native),
    NUL replaced: jsonb refuses it (`nul_characters.py`), and this is where every dict and list
    becomes jsonb text, ingest rows and SQLAlchemy statements alike."""
    from psycopg.types.json import JsonbDumper

    class OrjsonbDumper(JsonbDumper):
        def dump(self, obj: Any) -> bytes:
            return json_bytes(obj)

    dbapi_connection.adapters.register_dumper(dict, OrjsonbDumper)
    dbapi_connection.adapters.register_dumper(list, OrjsonbDumper)


__all__ = ["JsonDocument", "Money", "Payload", "UtcDateTime", "ValueCodec", "dumps_json", "sqlite_datetime"]
