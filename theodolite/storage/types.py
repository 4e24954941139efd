"""How each engine stores our values; every per-engine difference in value format lives here.

- UtcDateTime: `timestamptz` on PostgreSQL (Grafana's time macros need it); on SQLite the text
  SQLAlchemy writes, `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, so text order is time order.
- JsonDocument: `jsonb` on PostgreSQL (so `metadata->>'agent'` works as in Langfuse v2), JSON text
  on SQLite (whose `->>` operator reads it too).
- Payload: inputs and outputs. `jsonb` on PostgreSQL, where TOAST compresses large values itself;
  zstd-compressed JSON on SQLite, which compresses nothing and would otherwise spend most of its
  file on prompt text. Zstd frames name their dictionary, so dictionaries can be added later
  without rewriting old rows.
- Money: `numeric` on PostgreSQL; REAL on SQLite (no decimal type there), read back as Decimal.

The TypeDecorators serve SQLAlchemy statements (reads, small writes). The ingest writer's bulk
path skips SQLAlchemy's per-row processing for speed and uses `bulk_encoder`, which must produce
exactly what the TypeDecorators would; `tests/db/test_writer.py` reads bulk-written rows back
through the TypeDecorators.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import orjson
import zstandard
from sqlalchemy import JSON, Column, DateTime, Float, LargeBinary, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

# Level 1: ~2.6x on prompt text at ~13 us per 2 KB here; higher levels gain <5% for 2-4x the CPU
# of the writer thread, which is the ingest bottleneck.
PAYLOAD_ZSTD_LEVEL = 1
SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
_codecs = threading.local()  # zstd contexts are not thread-safe; one pair per thread


def dumps_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


def compress_payload(value: Any) -> bytes:
    compressor = getattr(_codecs, "compressor", None)
    if compressor is None:
        compressor = _codecs.compressor = zstandard.ZstdCompressor(level=PAYLOAD_ZSTD_LEVEL)
    return compressor.compress(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str))


def decompress_payload(data: bytes) -> Any:
    decompressor = getattr(_codecs, "decompressor", None)
    if decompressor is None:
        decompressor = _codecs.decompressor = zstandard.ZstdDecompressor()
    return orjson.loads(decompressor.decompress(data))


def sqlite_datetime(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime(SQLITE_DATETIME_FORMAT)


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        # SQLite's DateTime storage ignores tzinfo; store naive UTC.
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


Encoder = Callable[[Any], Any]


def _none_safe(function: Encoder) -> Encoder:
    return lambda value: None if value is None else function(value)


def bulk_encoder(column: Column[Any], dialect_name: str) -> Encoder | None:
    """The DB-API value for `column` on this engine, as the TypeDecorators would bind it; None = as is."""
    kind = column.type
    if dialect_name == "sqlite":
        if isinstance(kind, UtcDateTime):
            return _none_safe(sqlite_datetime)
        if isinstance(kind, Payload):
            return _none_safe(compress_payload)
        if isinstance(kind, Money):
            return _none_safe(float)
        if isinstance(kind, JSON):  # JsonDocument is JSON with a jsonb variant
            return _none_safe(dumps_json)
        return None
    if isinstance(kind, (Payload, JSON)):
        from psycopg.types.json import Jsonb

        return _none_safe(lambda value: Jsonb(value, dumps=dumps_json))
    return None

