"""Trains the payload dictionary once enough spans are stored (SQLite), without blocking ingestion."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from theodolite.server.decoding import DecodePool
from theodolite.storage.dictionaries import train_and_store_dictionary
from theodolite.storage.engine import Database
from theodolite.storage.payloads import active_dictionary_id, train_dictionary

log = logging.getLogger(__name__)


class DictionaryTrainer:
    """An on-commit hook: counts committed items and, past the threshold, trains once in a thread."""

    def __init__(self, database: Database, decoder: DecodePool, after_items: int) -> None:
        self._database = database
        self._decoder = decoder
        self._after_items = after_items
        self._seen = 0
        self._started = database.dialect_name != "sqlite" or after_items == 0 or active_dictionary_id() != 0
        self.thread: threading.Thread | None = None

    def __call__(self, committed: Sequence[Any]) -> None:
        """Called by the writer thread after each commit: must stay cheap."""
        if self._started:
            return
        self._seen += sum(item.size() for item in committed)
        if self._seen >= self._after_items:
            self._started = True
            self.thread = threading.Thread(target=self._train, name="theodolite-dictionary", daemon=True)
            self.thread.start()

    def _train(self) -> None:
        try:
            dictionary = train_and_store_dictionary(
                self._database, lambda samples: self._decoder.call(train_dictionary, samples)
            )
        except Exception:  # training is an optimisation: never let it hurt ingestion
            log.exception("training the payload dictionary failed; payloads stay compressed without one")
            return
        if dictionary is not None:
            self._decoder.use_dictionary(dictionary)
