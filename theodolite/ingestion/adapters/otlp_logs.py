"""OTLP/HTTP logs (protobuf or JSON) -> Scores. Pure: no I/O, no clock, no database.

Theodolite stores traces, not logs. One kind of log record carries something it stores: the
OpenTelemetry GenAI evaluation event, `gen_ai.evaluation.result` (OpenLIT's `log_score` sends
it), which becomes a Score of the span it evaluates. Every other record (OpenLIT's
`gen_ai.client.inference.operation.details`, application logs) is accepted and dropped: the
same facts arrive on the spans.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import datetime
from typing import Any

import orjson
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest, ExportLogsServiceResponse
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from theodolite.errors import BadRequestError
from theodolite.ingestion.adapters.otlp import (
    ZERO_SPAN_ID,
    ZERO_TRACE_ID,
    UnreadableSpanError,
    any_value,
    encode_export_response,
    hex_to_base64,
    parse_protobuf,
    time_from_ns,
)
from theodolite.ingestion.values import to_float, to_text
from theodolite.model import Batch, Rejection, Score, ScoreDataType

EVALUATION_EVENT = "gen_ai.evaluation.result"
MAX_SCORE_NAME_CHARS = 200  # as POST /api/v1/scores
SCORE_SOURCE = "EVAL"
ID_SIZES = (("traceId", 16), ("spanId", 8))
BOOLEAN_LABELS = {"true": 1.0, "false": 0.0}
IDEMPOTENCY_KEY = "openlit.score.idempotency_key"
# Attributes that are the score's fields or say what the record is; the others (the user's
# metadata, OpenLIT's custom attributes) are the score's metadata.
NOT_METADATA = ("gen_ai.evaluation.", "event.name", IDEMPOTENCY_KEY)


def parse_logs(body: bytes, kind: str) -> tuple[ExportLogsServiceRequest, list[Rejection]]:
    """A body -> (request, the records left out). Raises BadRequestError when the body cannot be
    read; a JSON record that cannot be (an id that is not hex, a field of the wrong type) is left
    out and reported, as a span is on /v1/traces."""
    if kind != "json":
        return parse_protobuf(body, ExportLogsServiceRequest()), []
    request = ExportLogsServiceRequest()
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"body is not valid JSON: {exc}") from exc
    rejections: list[Rejection] = []
    try:
        for resource_document in _items(document, "resourceLogs", "resource_logs"):
            resource_logs = request.resource_logs.add()
            json_format.ParseDict(_without(resource_document, "scopeLogs", "scope_logs"), resource_logs,
                                  ignore_unknown_fields=True)  # fmt: skip
            for scope_document in _items(resource_document, "scopeLogs", "scope_logs"):
                scope_logs = resource_logs.scope_logs.add()
                json_format.ParseDict(_without(scope_document, "logRecords", "log_records"), scope_logs,
                                      ignore_unknown_fields=True)  # fmt: skip
                for record in _items(scope_document, "logRecords", "log_records"):
                    problem = _parse_record(record, scope_logs.log_records)
                    if problem is not None:
                        rejections.append(Rejection(None, problem))
    except (AttributeError, TypeError, json_format.ParseError) as exc:
        raise BadRequestError(
            "OTLP/JSON body has the wrong shape: resourceLogs, scopeLogs and logRecords must be arrays of objects"
        ) from exc
    return request, rejections


def _items(document: Any, *names: str) -> list[Any]:
    if not isinstance(document, dict):
        raise TypeError("not an object")
    items = next((document[name] for name in names if document.get(name) is not None), [])
    if not isinstance(items, list):
        raise TypeError(f"{names[0]} is not an array")
    return items


def _without(document: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key not in names}


def _parse_record(record: Any, into: Any) -> str | None:
    """Parse one record into the repeated field `into`; the reason when it cannot be read. Ids
    are hex in OTLP/JSON and base64 in protobuf's JSON mapping (see otlp.py)."""
    if not isinstance(record, dict):
        return "log record is not a JSON object"
    try:
        ids = {key: hex_to_base64(record[key], size, key) for key, size in ID_SIZES if key in record}
    except UnreadableSpanError as exc:
        return str(exc)
    target = into.add()
    try:
        json_format.ParseDict(record | ids, target, ignore_unknown_fields=True)
    except (json_format.ParseError, AttributeError, TypeError, ValueError) as exc:
        del into[-1]
        fields = re.findall(r"Failed to parse (\w+) field", str(exc))
        where = f"field {'.'.join(fields)}" if fields else "a field"
        return f"log record has a value of the wrong type in {where} (see the OTLP/JSON encoding)"
    return None


def event_name(record: LogRecord, attributes: dict[str, Any]) -> str:
    """The event name: the `event_name` field (OTLP 1.5+), else the older `event.name` attribute."""
    return record.event_name or str(attributes.get("event.name") or "")


def decode_score(record: LogRecord, attributes: dict[str, Any], received_at: datetime) -> Score | Rejection:
    """One `gen_ai.evaluation.result` record -> its Score, or why it cannot be one."""
    name = to_text(attributes.get("gen_ai.evaluation.name"))
    if not name or len(name) > MAX_SCORE_NAME_CHARS:
        return Rejection(None, f"gen_ai.evaluation.name must be 1 to {MAX_SCORE_NAME_CHARS} characters")
    if len(record.trace_id) != 16 or record.trace_id == ZERO_TRACE_ID:
        return Rejection(None, "an evaluation record needs the trace_id of the trace it evaluates")
    number = to_float(attributes.get("gen_ai.evaluation.score.value"))
    number = number if number is not None and math.isfinite(number) else None
    label = to_text(attributes.get("gen_ai.evaluation.score.label"))
    if number is None and not label:
        return Rejection(None, "gen_ai.evaluation.score.value (a number) or .score.label (text) is missing")
    if number is not None and label in BOOLEAN_LABELS and number == BOOLEAN_LABELS[label]:
        kind, label = ScoreDataType.BOOLEAN, None  # openlit sends a bool as 1.0/0.0 and "true"/"false"
    else:
        kind = ScoreDataType.NUMERIC if number is not None else ScoreDataType.CATEGORICAL
    trace_id = record.trace_id.hex()
    span_id = record.span_id.hex() if len(record.span_id) == 8 and record.span_id != ZERO_SPAN_ID else None
    nanos = record.time_unix_nano or record.observed_time_unix_nano
    # The record has no id: one is made of the client's idempotency key, else of what identifies
    # the record, so that a record re-sent by a retrying exporter is stored once, as a span is.
    key = attributes.get(IDEMPOTENCY_KEY) or [trace_id, span_id, name, nanos, number, label]
    metadata = {k: v for k, v in attributes.items() if not k.startswith(NOT_METADATA)}
    if number is not None and label:
        metadata["label"] = label  # a number with a label: the number is the score
    return Score(
        id=hashlib.sha256(orjson.dumps(key)).hexdigest()[:32],
        trace_id=trace_id,
        observation_id=span_id,
        name=name,
        timestamp=time_from_ns(nanos) if nanos else received_at,
        value=number,
        string_value=label if number is None else None,
        data_type=kind,
        comment=to_text(attributes.get("gen_ai.evaluation.explanation")),
        source=SCORE_SOURCE,
        metadata=metadata or None,
    )


def decode_logs(body: bytes, kind: str, received_at: datetime) -> tuple[Batch, int]:
    """Body of POST /v1/logs -> (a Batch of scores and rejected records, how many records were
    dropped as not evaluations). `received_at` times a record that has no time. Raises
    BadRequestError when the body cannot be read."""
    request, rejections = parse_logs(body, kind)
    batch = Batch(rejections=rejections)
    dropped = 0
    for resource_logs in request.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                attributes = {kv.key: any_value(kv.value) for kv in record.attributes}
                if event_name(record, attributes) != EVALUATION_EVENT:
                    dropped += 1
                    continue
                decoded = decode_score(record, attributes, received_at)
                (batch.scores if isinstance(decoded, Score) else batch.rejections).append(decoded)
    return batch, dropped


def encode_logs_response(rejections: list[Rejection], kind: str) -> bytes:
    """The ExportLogsServiceResponse; partial_success set when some records were rejected."""
    return encode_export_response(
        ExportLogsServiceResponse(), "rejected_log_records", "log record(s)", rejections, kind
    )
