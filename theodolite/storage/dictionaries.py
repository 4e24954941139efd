"""Loading, training and storing payload dictionaries (SQLite only; see `payloads.py`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import zstandard
from sqlalchemy import func, insert, select

from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.payloads import (
    TRAINING_SAMPLES,
    active_dictionary_id,
    install_dictionary,
    train_dictionary,
)

log = logging.getLogger(__name__)


def load_dictionaries(database: Database) -> bytes | None:
    """Install every stored dictionary in this process, the newest active; returns its bytes. Blocks."""
    if database.dialect_name != "sqlite":
        return None
    table = tables.payload_dictionaries
    with database.connect() as conn:
        rows = conn.execute(select(table.c.id, table.c.data).order_by(table.c.created_at)).all()
    for row in rows:
        install_dictionary(row.data, activate=True)
    return rows[-1].data if rows else None


def train_and_store_dictionary(database: Database) -> bytes | None:
    """Train a dictionary on a sample of stored payloads, store and activate it; None if too few. Blocks
    for about a second; run it off the event loop and off the writer thread."""
    if database.dialect_name != "sqlite":
        return None
    payloads = tables.observation_payloads
    with database.connect() as conn:
        blobs = conn.execute(select(payloads.c.payload).limit(TRAINING_SAMPLES)).scalars()
        # Read raw: the column type would parse the JSON, and training wants the bytes.
        samples = [_raw_document(blob) for blob in blobs]
    samples = [sample for sample in samples if sample]
    if len(samples) < 100:
        return None
    data = train_dictionary(samples)
    dict_id = zstandard.ZstdCompressionDict(data).dict_id()
    with database.write_transaction() as conn:
        exists = conn.execute(select(func.count()).where(tables.payload_dictionaries.c.id == dict_id)).scalar_one()
        if not exists:
            conn.execute(
                insert(tables.payload_dictionaries).values(
                    id=dict_id, data=data, sample_count=len(samples), created_at=datetime.now(UTC)
                )
            )
    install_dictionary(data, activate=True)
    log.info("trained payload dictionary %d on %d payloads", active_dictionary_id(), len(samples))
    return data


def _raw_document(value: object) -> bytes:
    """The JSON bytes of a payload as the column type returns it (already decoded)."""
    import orjson

    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str) if value is not None else b""
