"""U+0000 (NUL) in ingested strings is stored as U+FFFD (the replacement character), on every engine.

PostgreSQL cannot hold NUL in `text`, and `jsonb` refuses the `\\u0000` escape: one such
character in a span name or a prompt failed the whole batch's transaction, the server answered
503 and the client retried the same batch forever. SQLite stores NUL, but both engines must store
(and the API and UI show) the same thing, so the replacement is made before any engine sees the
data: in `rows.prepare_batch` for the model's plain strings (ids included, so that a trace id and
the observations that name it stay equal), and where JSON is dumped anyway for the nested values
(`codec.py` for SQLite's JSON text and payloads, `types.register_postgres_adapters` for `jsonb`),
and in the text a search document is made of (`rows.search_document`: PostgreSQL's tsvector).
Reads take a NUL in a URL as U+FFFD too (`server/nul_in_urls.py`), so the id sent finds the trace.
U+FFFD rather than dropping the character: the text keeps its length and shows that something
unreadable was there. An id that differed from another only by NUL against U+FFFD becomes equal
to it; no client sends such pairs on purpose.

Cost: the ingest path checks each plain string with `in` (a memchr) and each JSON document once,
on the text it dumps anyway; a value is walked and copied only when it holds a NUL.
"""

from __future__ import annotations

from typing import Any

import orjson

NUL = "\x00"
REPLACEMENT = "\ufffd"
# How orjson writes NUL inside a JSON string. A false positive (a string holding a backslash
# followed by "u0000") only costs a second dump that changes nothing.
ESCAPED_NUL_BYTES = b"\\u0000"

# Plain string fields of the model's entities (`model/entities.py`; a test holds these lists to
# the dataclasses); the JSON ones are handled where they are dumped.
OBSERVATION_TEXT = (
    "id", "trace_id", "name", "parent_observation_id", "status_message", "model", "request_model", "provider",
    "source", "version", "environment",
)  # fmt: skip
TRACE_TEXT = ("id", "name", "root_observation_id", "user_id", "session_id", "release", "version", "environment")
SCORE_TEXT = (
    "id", "trace_id", "name", "string_value", "observation_id", "session_id", "comment", "source", "config_id",
)  # fmt: skip


def without_nul(value: Any) -> Any:
    """`value` (a string or a JSON-like structure) with NUL replaced in every string, dict keys
    included; containers are copied only along a path that holds one."""
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT) if NUL in value else value
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_nul(item) for item in value]
    return value


def json_bytes(value: Any) -> bytes:
    """`value` as JSON, as every JSON column stores it, with no NUL inside. The check reads the
    text being dumped anyway; the rare value with a NUL is dumped a second time, read back first
    so that what `default=str` made of non-JSON objects is cleaned too."""
    dumped = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str)
    if ESCAPED_NUL_BYTES in dumped:
        dumped = orjson.dumps(without_nul(orjson.loads(dumped)))
    return dumped


def clean_batch(batch: Any) -> None:
    """Every plain string of a Batch's traces (and their tags), observations and scores, and the
    ids of its updates, in place (the batch being prepared is the request's own). JSON values
    (metadata, inputs, outputs, attributes, model parameters) are left to `json_bytes`, where
    they are dumped.

    Hot path (every span): the fields are read directly, not by name, which costs half as much;
    only an entity with a NUL goes through `_clean_fields`."""
    for o in batch.observations:
        for text in (o.id, o.trace_id, o.name, o.parent_observation_id, o.status_message, o.model,
                     o.request_model, o.provider, o.source, o.version, o.environment):  # fmt: skip
            if text is not None and NUL in text:
                _clean_fields(o, OBSERVATION_TEXT)
                break
    for t in batch.traces:  # OTLP: one part per span
        for text in (t.id, t.name, t.root_observation_id, t.user_id, t.session_id, t.release, t.version,
                     t.environment):  # fmt: skip
            if text is not None and NUL in text:
                _clean_fields(t, TRACE_TEXT)
                break
        if t.tags and any(isinstance(tag, str) and NUL in tag for tag in t.tags):
            t.tags = without_nul(t.tags)  # merged with stored tags as strings, so cleaned here
    for score in batch.scores:
        _clean_fields(score, SCORE_TEXT)
    if batch.updates and any(NUL in update for update in batch.updates):
        batch.updates = {without_nul(update) for update in batch.updates}


def _clean_fields(entity: Any, names: tuple[str, ...]) -> None:
    for name in names:
        text = getattr(entity, name)
        if text is not None and NUL in text:
            setattr(entity, name, text.replace(NUL, REPLACEMENT))
