"""Compressing payloads (inputs, outputs, attributes) on SQLite, with trained zstd dictionaries.

Prompts repeat: system instructions, tool schemas, few-shot examples. Compressed one row at a
time, zstd cannot see that repetition; with a dictionary trained on earlier payloads it can.
On the benchmark's LLM spans a 110 KB dictionary took payloads from 907 to 390 bytes and made
compression 2.5x faster (9 us instead of 21 us per 1.7 KB document).

Every zstd frame names its dictionary's id, so rows written before and after a dictionary was
trained both stay readable: the id selects the dictionary, and 0 means none. Dictionaries live
in the `payload_dictionaries` table and, once loaded, in this per-process registry.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson
import zstandard

from theodolite.storage.nul_characters import json_bytes

PAYLOAD_ZSTD_LEVEL = 3  # with a dictionary, level 3 costs no more than level 1 and is 30% smaller
DICTIONARY_BYTES = 112_640  # zstd's default dictionary size
TRAINING_SAMPLES = 4_000


class MissingDictionaryError(LookupError):
    """A payload names a dictionary this process has not loaded (trained by another process)."""


_lock = threading.Lock()
_dictionaries: dict[int, zstandard.ZstdCompressionDict] = {}
_active_id = 0
_local = threading.local()  # zstd contexts are not thread-safe: one set per thread


def install_dictionary(data: bytes, *, activate: bool) -> int:
    """Register a dictionary (and make new payloads use it if `activate`). Returns its id."""
    global _active_id
    dictionary = zstandard.ZstdCompressionDict(data)
    dict_id = dictionary.dict_id()
    with _lock:
        _dictionaries[dict_id] = dictionary
        if activate:
            _active_id = dict_id
    return dict_id


def active_dictionary_id() -> int:
    return _active_id


def _compressor() -> zstandard.ZstdCompressor:
    cached = getattr(_local, "compressor", None)
    if cached is None or cached[0] != _active_id:
        dictionary = _dictionaries.get(_active_id)
        cached = (_active_id, zstandard.ZstdCompressor(level=PAYLOAD_ZSTD_LEVEL, dict_data=dictionary))
        _local.compressor = cached
    return cached[1]


def _decompressor(dict_id: int) -> zstandard.ZstdDecompressor:
    cache: dict[int, zstandard.ZstdDecompressor] = getattr(_local, "decompressors", None) or {}
    _local.decompressors = cache
    found = cache.get(dict_id)
    if found is None:
        if dict_id and dict_id not in _dictionaries:
            raise MissingDictionaryError(f"payload dictionary {dict_id} is not loaded")
        found = cache[dict_id] = zstandard.ZstdDecompressor(dict_data=_dictionaries.get(dict_id))
    return found


def compress_payload(document: Any) -> bytes:
    """The document as zstd-compressed JSON, NUL replaced as on PostgreSQL (`nul_characters.py`)."""
    return _compressor().compress(json_bytes(document))


def decompress_payload(blob: bytes) -> Any:
    """Raises MissingDictionaryError when the blob's dictionary is not loaded in this process."""
    return orjson.loads(decompress_payload_bytes(blob))


def decompress_payload_bytes(blob: bytes) -> bytes:
    """The JSON document's bytes, unparsed. Raises MissingDictionaryError like decompress_payload."""
    return _decompressor(zstandard.get_frame_parameters(blob).dict_id).decompress(blob)


def train_dictionary(samples: list[bytes]) -> bytes:
    """A dictionary from raw (uncompressed) payload documents. CPU: ~0.4 s for 4,000 samples."""
    return zstandard.train_dictionary(DICTIONARY_BYTES, samples, level=PAYLOAD_ZSTD_LEVEL).as_bytes()
