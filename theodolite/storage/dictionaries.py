"""Loading, training and storing payload dictionaries (SQLite only; see `payloads.py`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import zstandard
from sqlalchemy import LargeBinary, func, insert, select, type_coerce
from sqlalchemy.engine import Connection

from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.payloads import (
    TRAINING_SAMPLES,
    active_dictionary_id,
    decompress_payload_bytes,
    install_dictionary,
    train_dictionary,
)

log = logging.getLogger(__name__)


def load_dictionaries(database: Database) -> bytes | None:
    """Install every stored dictionary in this process, the newest active; returns its bytes. Blocks."""
    if database.dialect_name != "sqlite":
        return None
    with database.connect() as conn:
        return install_stored_dictionaries(conn)


def install_stored_dictionaries(conn: Connection) -> bytes | None:
    """`load_dictionaries` on an open SQLite connection (a migration's)."""
    table = tables.payload_dictionaries
    rows = conn.execute(select(table.c.id, table.c.data).order_by(table.c.created_at)).all()
    for row in rows:
        install_dictionary(row.data, activate=True)
    return rows[-1].data if rows else None


def train_and_store_dictionary(
    database: Database, train: Callable[[list[bytes]], bytes] = train_dictionary
) -> bytes | None:
    """Train a dictionary on a sample of stored payloads, store and activate it; None if too few.
    Blocks for about a second; run it off the event loop and off the writer thread. `train` may
    run the training elsewhere (the server uses a decode worker: training's memory then leaves
    with that worker when the pool restarts with the dictionary)."""
    if database.dialect_name != "sqlite":
        return None
    payloads = tables.observation_payloads
    with database.connect() as conn:
        # Raw bytes, not the column type's parsed JSON: training wants bytes, and parsing 2,500
        # documents into objects only to dump them again cost the server ~30 MiB of RSS.
        raw = type_coerce(payloads.c.payload, LargeBinary)
        blobs = conn.execute(select(raw).limit(TRAINING_SAMPLES)).scalars().all()
    samples = [decompress_payload_bytes(blob) for blob in blobs if blob]
    if len(samples) < 100:
        return None
    data = train(samples)
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
