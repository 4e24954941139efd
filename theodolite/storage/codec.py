"""Values encoded for one engine's bulk inserts, without SQLAlchemy.

`ValueCodec` runs in the decode worker processes, which import only this, the model and the
decoders: importing SQLAlchemy there cost 300 ms of start-up and ~10 MB per worker. It must
produce exactly what the column types in `types.py` write (a test reads bulk rows back through them).

The "clickhouse" dialect (`storage/clickhouse/writer.py`, no SQLAlchemy and no clickhouse-connect
here either) keeps datetimes and Decimals (money rounded to the columns' 12 decimals, as
PostgreSQL's numeric rounds), JSON as text, and a payload as its three columns' texts (input,
output, attributes): ClickHouse compresses each column itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from theodolite.storage.nul_characters import json_bytes
from theodolite.storage.payloads import compress_payload


def dumps_json(value: Any) -> str:
    """SQLite's JSON text, NUL replaced as on PostgreSQL (`nul_characters.py`)."""
    return json_bytes(value).decode()


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


MONEY_QUANTUM = Decimal("1e-12")  # the money columns' scale, on every engine


def clickhouse_money(value: Decimal) -> Decimal:
    """A cost as `Decimal(18, 12)` stores it: clickhouse-connect would cut further digits off, while
    PostgreSQL's numeric rounds them; rounding here keeps both stores equal."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= -12:  # short already, or not finite (the insert refuses it)
        return value
    return value.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_UP)


def _json_text(value: Any) -> str:
    """A payload column's text: '' for none (the ClickHouse columns are not Nullable)."""
    return "" if value is None else dumps_json(value)


def clickhouse_payload(payload: dict[str, Any]) -> tuple[str, str, str]:
    """The `input`, `output` and `attributes` columns of one observation (each a JSON text, '' for
    none), made in the decode worker so that the writer thread only sends them."""
    return _json_text(payload["input"]), _json_text(payload["output"]), _json_text(payload["attributes"])


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
        if dialect_name == "clickhouse":  # clickhouse-connect takes datetimes and Decimals as they are
            self.json = _none_safe(dumps_json)
            self.money = _none_safe(clickhouse_money)
            self.payload = clickhouse_payload

    def __reduce__(self) -> tuple[Any, ...]:
        return (ValueCodec, (self.dialect_name,))
