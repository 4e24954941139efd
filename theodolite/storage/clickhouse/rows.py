"""The ClickHouse tables' columns, and conversions between them and the writer's rows and the model.

The observation and score rows come from `storage/rows.py` (made in the decode workers with the
"clickhouse" `ValueCodec`: datetimes, Decimals, JSON text, a payload as its three columns' texts);
here they become column values in `schema.py`'s order. ClickHouse's dimension and text columns are
not Nullable: an absent value is '' (`schema.py`), and reads turn '' back into None, the model's
"absent". Every trace field merges with `or` (`merge_trace`), so '' and None mean the same there.

Reading stored rows back (merges and re-sends) must give exactly what was written, so that an
identical re-send is recognised and a cancelling row (`sign` -1) takes away exactly what its row
added to the views: the tests write, read back and compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from theodolite.model import Cost, CostStatus, Level, Observation, ObservationType, Trace, Usage

TRACE_COLUMNS = (
    "project_id", "id", "timestamp", "name", "root_observation_id", "user_id", "session_id", "release",
    "version", "environment", "tags", "metadata", "created_at", "updated_at", "row_version", "is_deleted",
)  # fmt: skip
# What a trace's merge compares: the stored row is rewritten only when one of these changed.
TRACE_CONTENT = TRACE_COLUMNS[:12]

# The columns `rows.observation_to_row` fills, in `schema.OBSERVATIONS` order.
OBSERVATION_FIELDS = (
    "project_id", "trace_id", "id", "parent_observation_id", "type", "name", "start_time", "end_time",
    "completion_start_time", "level", "status_message", "model", "request_model", "provider",
    "model_parameters", "source", "prompt_tokens", "completion_tokens", "total_tokens", "cache_read_tokens",
    "cache_write_tokens", "reasoning_tokens", "input_cost", "output_cost", "total_cost", "calculated_input_cost",
    "calculated_output_cost", "calculated_total_cost", "cost_status", "saved_cost", "metadata", "version",
    "environment",
)  # fmt: skip
PAYLOAD_COLUMNS = ("input", "output", "attributes")
# What a stored observation is read back as (merges, re-pricing): its fields, its payload and its
# full-text document (`schema.SEARCH_TEXT`), which a rewrite of its costs keeps.
STORED_COLUMNS = (*OBSERVATION_FIELDS, *PAYLOAD_COLUMNS, "search_text")
OBSERVATION_COLUMNS = (*STORED_COLUMNS, "row_version", "is_deleted", "sign")
_OBSERVATION_TEXT = frozenset(
    {
        "trace_id", "id", "parent_observation_id", "type", "name", "level", "status_message", "model",
        "request_model", "provider", "model_parameters", "source", "cost_status", "metadata", "version",
        "environment",
    }
)  # fmt: skip
# Per field of OBSERVATION_FIELDS, whether None is stored as '' (a String column, not Nullable).
_OBSERVATION_BLANK = tuple(name in _OBSERVATION_TEXT for name in OBSERVATION_FIELDS)
_NO_PAYLOAD = ("", "", "")

SCORE_COLUMNS = (
    "project_id", "id", "trace_id", "observation_id", "session_id", "name", "value", "string_value",
    "data_type", "source", "comment", "metadata", "timestamp", "config_id", "created_at", "row_version", "is_deleted",
)  # fmt: skip
SCORE_CONTENT = SCORE_COLUMNS[:14]  # what an upsert compares (not when it was stored)
_SCORE_TEXT = frozenset(
    {"id", "trace_id", "observation_id", "session_id", "name", "string_value", "data_type", "source", "comment",
     "metadata", "config_id"}
)  # fmt: skip
_SCORE_BLANK = tuple(name in _SCORE_TEXT for name in SCORE_CONTENT)


def observation_values(row: dict[str, Any], payload: tuple[str, str, str] | None, document: str | None) -> list[Any]:
    """The OBSERVATION_FIELDS, PAYLOAD_COLUMNS and search_text values of one writer row (a
    `rows.observation_to_row` dict encoded by the "clickhouse" codec, its payload and its search
    document). Runs once per span on the writer thread."""
    values = [
        ("" if value is None and blank else value)
        for value, blank in zip(map(row.__getitem__, OBSERVATION_FIELDS), _OBSERVATION_BLANK, strict=True)
    ]
    values.extend(payload or _NO_PAYLOAD)
    values.append(document or "")
    return values


def inserted_row(values: Sequence[Any], version: int) -> list[Any]:
    """An OBSERVATION_COLUMNS row of STORED_COLUMNS `values`: stored at
    `version`, counted once by the views (`sign` 1)."""
    return [*values, version, 0, 1]


def cancelling_row(stored: Sequence[Any], version: int) -> list[Any]:
    """The OBSERVATION_COLUMNS row that takes a stored row (STORED_COLUMNS as read) out of the views
    before the row replacing it at `version` arrives: its fields again with `sign` -1, `is_deleted` 1
    at `version` - 1, so that `FINAL` never shows it. Its payloads and document are left out: the views
    do not read them and `FINAL` never returns the row."""
    return [*stored[: len(OBSERVATION_FIELDS)], *_NO_PAYLOAD, "", version - 1, 1, -1]


def score_values(row: dict[str, Any]) -> list[Any]:
    """The SCORE_CONTENT values of one writer row (`rows.score_to_row`)."""
    return [
        ("" if value is None and blank else value)
        for value, blank in zip(map(row.__getitem__, SCORE_CONTENT), _SCORE_BLANK, strict=True)
    ]


def trace_values(project_id: int, trace: Trace, json: Any) -> list[Any]:
    """The TRACE_CONTENT values of a (merged) trace; `json` the codec's JSON encoder."""
    return [
        project_id, trace.id, trace.timestamp, trace.name or "", trace.root_observation_id or "", trace.user_id or "",
        trace.session_id or "", trace.release or "", trace.version or "", trace.environment or "", list(trace.tags),
        json(trace.metadata) or "",
    ]  # fmt: skip


def utc(value: datetime | None) -> datetime | None:
    """clickhouse-connect reads `DateTime64(6, 'UTC')` as a naive datetime in UTC."""
    return value if value is None or value.tzinfo is not None else value.replace(tzinfo=UTC)


def _none(value: str) -> str | None:
    return value or None


def _loads(text: str) -> Any:
    return orjson.loads(text) if text else None


def stored_trace(values: Sequence[Any]) -> Trace:
    """A TRACE_CONTENT row read back, as the model (what `merge_trace` merges with)."""
    named = dict(zip(TRACE_CONTENT, values, strict=False))
    root = _none(named["root_observation_id"])
    return Trace(
        id=named["id"], timestamp=utc(named["timestamp"]), name=_none(named["name"]),  # type: ignore[arg-type]
        user_id=_none(named["user_id"]), session_id=_none(named["session_id"]), tags=list(named["tags"]),
        metadata=_loads(named["metadata"]), release=_none(named["release"]), version=_none(named["version"]),
        environment=_none(named["environment"]), is_root_seen=root is not None, root_observation_id=root,
    )  # fmt: skip


def stored_trace_content(values: Sequence[Any]) -> list[Any]:
    """A TRACE_CONTENT row read back, comparable with `trace_values` (times in UTC)."""
    content = list(values[: len(TRACE_CONTENT)])
    content[2] = utc(content[2])
    content[10] = list(content[10])
    return content


def stored_observation(values: Sequence[Any]) -> Observation:
    """An OBSERVATION_FIELDS + PAYLOAD_COLUMNS row read back, as the model (what merges start from)."""
    r = dict(zip((*OBSERVATION_FIELDS, *PAYLOAD_COLUMNS), values, strict=False))
    return Observation(
        id=r["id"], trace_id=r["trace_id"], start_time=utc(r["start_time"]), type=ObservationType(r["type"]),  # type: ignore[arg-type]
        name=_none(r["name"]), parent_observation_id=_none(r["parent_observation_id"]), end_time=utc(r["end_time"]),
        completion_start_time=utc(r["completion_start_time"]), level=Level(r["level"]),
        status_message=_none(r["status_message"]), model=_none(r["model"]), request_model=_none(r["request_model"]),
        provider=_none(r["provider"]), model_parameters=_loads(r["model_parameters"]), source=_none(r["source"]),
        usage=Usage(r["prompt_tokens"], r["completion_tokens"], r["total_tokens"], r["cache_read_tokens"],
                    r["cache_write_tokens"], r["reasoning_tokens"]),
        cost=Cost(r["input_cost"], r["output_cost"], r["total_cost"], r["calculated_input_cost"],
                  r["calculated_output_cost"], r["calculated_total_cost"], CostStatus(r["cost_status"]),
                  r["saved_cost"]),
        input=_loads(r["input"]), output=_loads(r["output"]), metadata=_loads(r["metadata"]),
        attributes=_loads(r["attributes"]), version=_none(r["version"]), environment=_none(r["environment"]),
    )  # fmt: skip


def stored_score_content(values: Sequence[Any]) -> list[Any]:
    """A SCORE_CONTENT row read back, comparable with `score_values`."""
    content = list(values[: len(SCORE_CONTENT)])
    content[12] = utc(content[12])
    return content
