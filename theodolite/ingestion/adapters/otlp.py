"""OTLP/HTTP traces (protobuf or JSON) -> Batch. Pure: no I/O, no clock, no database.

Decoding is opentelemetry-proto's generated code (upb backend). OTLP/JSON differs from protobuf's
canonical JSON mapping in one way that matters: trace and span ids are hex, not base64
(OTLP spec, "JSON Protobuf Encoding"), so they are rewritten before `ParseDict`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from theodolite.errors import BadRequestError
from theodolite.ingestion import semconv, vendor_conventions
from theodolite.ingestion.flattened import cost_from_document, usage_from_document
from theodolite.ingestion.values import to_money
from theodolite.model import Batch, Cost, CostStatus, Level, Observation, ObservationType, Rejection, Trace, Usage

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ZERO_TRACE_ID = bytes(16)
ZERO_SPAN_ID = bytes(8)
DROPPED_ATTRIBUTES_KEY = "theodolite.dropped_attributes_count"
SPAN_KIND_NAMES = {value: name for name, value in Span.SpanKind.items()}
REPORTED_COST_FIELDS = frozenset(
    {"cost_document", "reported_input_cost", "reported_output_cost", "reported_total_cost"}
)
USAGE_FIELDS = (
    "input_tokens", "output_tokens", "total_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
)  # fmt: skip


def parse_protobuf(body: bytes, request: Any = None) -> Any:
    """`body` read into `request` (an empty Export*ServiceRequest; traces when None)."""
    request = ExportTraceServiceRequest() if request is None else request
    try:
        request.ParseFromString(body)
    except DecodeError as exc:
        raise BadRequestError(f"body is not an OTLP {type(request).__name__} protobuf: {exc}") from exc
    return request


class UnreadableSpanError(ValueError):
    """One span of an OTLP/JSON body cannot be read; the others can (partial success)."""


def hex_to_base64(value: Any, expected_bytes: int, what: str) -> Any:
    if not isinstance(value, str) or value == "":
        return value
    try:
        raw = bytes.fromhex(value)
    except ValueError as exc:
        raise UnreadableSpanError(f"{what} {value!r} is not hex (OTLP/JSON encodes ids as hex)") from exc
    if len(raw) != expected_bytes:
        raise UnreadableSpanError(f"{what} {value!r} must be {expected_bytes * 2} hex digits")
    return base64.b64encode(raw).decode()


def _children(document: Any, *names: str) -> tuple[dict[str, Any], list[Any]]:
    """(the object without its child list, the child list); `names` are the list's JSON name and
    its proto field name, which protobuf's JSON mapping accepts alike."""
    if not isinstance(document, dict):
        raise BadRequestError(f"OTLP/JSON body has the wrong shape: expected an object, got {document!r:.80}")
    children = next((document[name] for name in names if document.get(name) is not None), [])
    if not isinstance(children, list):
        raise BadRequestError(f"OTLP/JSON body has the wrong shape: {names[0]} must be an array")
    return {key: value for key, value in document.items() if key not in names}, children


def _span_with_binary_ids(span: Any) -> dict[str, Any]:
    """The span object with its hex ids as protobuf's JSON mapping reads bytes (base64)."""
    if not isinstance(span, dict):
        raise UnreadableSpanError("span is not a JSON object")
    span = dict(span)
    for key, size in (("traceId", 16), ("spanId", 8), ("parentSpanId", 8)):
        if key in span:
            span[key] = hex_to_base64(span[key], size, key)
    links = span.get("links")
    if isinstance(links, list):
        span["links"] = [
            dict(link, traceId=hex_to_base64(link.get("traceId"), 16, "links.traceId"),
                 spanId=hex_to_base64(link.get("spanId"), 8, "links.spanId"))
            if isinstance(link, dict) else link
            for link in links
        ]  # fmt: skip
    return span


def _parse_span(span: Any, into: Any) -> Rejection | None:
    """Parse one span object into the repeated field `into`; a Rejection if it cannot be read."""
    try:
        converted = _span_with_binary_ids(span)
        target = into.add()
        try:
            json_format.ParseDict(converted, target, ignore_unknown_fields=True)
        except Exception:
            del into[-1]
            raise
    except (UnreadableSpanError, json_format.ParseError, AttributeError, TypeError, ValueError) as exc:
        span_id = span.get("spanId") if isinstance(span, dict) else None
        return Rejection(span_id if isinstance(span_id, str) and span_id else None, _unreadable_reason(exc))
    return None


def _unreadable_reason(exc: Exception) -> str:
    """What the client is told about a span left out: our own reason, or the field path, never
    Python's text (`invalid literal for int()`, attribute errors)."""
    if isinstance(exc, UnreadableSpanError):
        return str(exc)
    if isinstance(exc, json_format.ParseError):
        return _parse_error_message(exc)
    return "span has the wrong shape: a span is an object of OTLP/JSON fields"


def parse_json(body: bytes) -> tuple[ExportTraceServiceRequest, list[Rejection]]:
    """An OTLP/JSON body -> (request, the spans left out). A span that cannot be read (an id that
    is not hex or has the wrong length, a field of the wrong type) is left out and reported, as
    the protobuf path reports a span with a bad id; raises BadRequestError when the body around
    the spans cannot be read."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise BadRequestError("OTLP/JSON body must be an object with a resourceSpans array")
    request = ExportTraceServiceRequest()
    rejections: list[Rejection] = []
    _, resources = _children(document, "resourceSpans", "resource_spans")
    try:
        for resource_document in resources:
            resource, scopes = _children(resource_document, "scopeSpans", "scope_spans")
            resource_spans = request.resource_spans.add()
            json_format.ParseDict(resource, resource_spans, ignore_unknown_fields=True)
            for scope_document in scopes:
                scope, spans = _children(scope_document, "spans")
                scope_spans = resource_spans.scope_spans.add()
                json_format.ParseDict(scope, scope_spans, ignore_unknown_fields=True)
                for span in spans:
                    problem = _parse_span(span, scope_spans.spans)
                    if problem is not None:
                        rejections.append(problem)
    except (AttributeError, TypeError) as exc:
        raise BadRequestError(
            "OTLP/JSON body has the wrong shape: resourceSpans, scopeSpans and spans must be arrays of objects"
        ) from exc
    except json_format.ParseError as exc:
        raise BadRequestError(_parse_error_message(exc)) from exc
    return request, rejections


def _parse_error_message(exc: json_format.ParseError) -> str:
    """protobuf's message nests 'Failed to parse <field> field:' down to Python's own text
    (`invalid literal for int() with base 10`); the client gets the field path instead."""
    fields = re.findall(r"Failed to parse (\w+) field", str(exc))
    if fields:
        return f"OTLP/JSON field {'.'.join(fields)} has a value of the wrong type (see the OTLP/JSON encoding)"
    return "OTLP/JSON body does not match ExportTraceServiceRequest"


def any_value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return value.double_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return None


def attributes_dict(key_values: Any, limit: int) -> tuple[dict[str, Any], int]:
    """Attributes as a dict, keeping at most `limit`; returns (dict, how many were dropped)."""
    count = len(key_values)
    if count > limit:
        return {kv.key: any_value(kv.value) for kv in key_values[:limit]}, count - limit
    return {kv.key: any_value(kv.value) for kv in key_values}, 0


def time_from_ns(ns: int) -> datetime:
    return EPOCH + timedelta(microseconds=ns // 1000)


def _error_message(span: Span) -> str | None:
    if span.status.message:
        return span.status.message
    for event in span.events:
        if event.name == "exception":
            facts = {kv.key: any_value(kv.value) for kv in event.attributes}
            kind, message = facts.get("exception.type"), facts.get("exception.message")
            if kind or message:
                return f"{kind}: {message}" if kind and message else str(kind or message)
    return None


def _events(span: Span) -> list[dict[str, Any]] | None:
    if not span.events:
        return None
    return [
        {
            "name": event.name,
            "time": time_from_ns(event.time_unix_nano).isoformat() if event.time_unix_nano else None,
            "attributes": {kv.key: any_value(kv.value) for kv in event.attributes},
        }
        for event in span.events
    ]


def _usage(fields: dict[str, Any]) -> Usage:
    """Token counts by precedence: Langfuse's usage document, then span attributes, then
    LangSmith's token details (semconv module docstring)."""
    counts = {name: fields[name] for name in USAGE_FIELDS if name in fields}
    if "input_token_details" in fields or "output_token_details" in fields:
        details = {"input_token_details": fields.get("input_token_details") or {},
                   "output_token_details": fields.get("output_token_details") or {}}  # fmt: skip
        counts = (usage_from_document(details) or {}) | counts
    if "usage_document" in fields:
        counts |= usage_from_document(fields["usage_document"]) or {}
    return Usage(**{name: counts.get(name) for name in USAGE_FIELDS}).completed()


def _reported_cost(fields: dict[str, Any], status: CostStatus) -> Cost:
    if not REPORTED_COST_FIELDS.intersection(fields):
        return Cost(status=status)
    document = cost_from_document(fields.get("cost_document")) or {}
    parts = [to_money(document.get(part, fields.get(f"reported_{part}_cost"))) for part in ("input", "output", "total")]
    if parts[2] is None and (parts[0] is not None or parts[1] is not None):
        parts[2] = (parts[0] or Decimal(0)) + (parts[1] or Decimal(0))
    return Cost(reported_input=parts[0], reported_output=parts[1], reported_total=parts[2], status=status)


@dataclass(frozen=True, slots=True)
class ResourceFacts:
    """What a resource says about every trace of its spans; read once per resource."""

    trace_fields: dict[str, Any]
    trace_metadata: dict[str, Any]
    is_openlit: bool = False

    @classmethod
    def of(cls, resource: dict[str, Any]) -> ResourceFacts:
        return cls(
            semconv.apply_rules(semconv.TRACE_RULES, resource, consume=False),
            semconv.copy_trace_metadata(resource),
            vendor_conventions.is_openlit(resource),
        )


NO_RESOURCE = ResourceFacts({}, {})


def decode_span(span: Span, resource: ResourceFacts, max_attributes: int, scope: str = "") -> tuple[Observation, Trace]:
    """One OTLP span -> its Observation and the trace-level facts it carries. Pure."""
    attributes, dropped = attributes_dict(span.attributes, max_attributes)
    is_root = not span.parent_span_id
    semconv.fold_indexed(attributes)
    root_only = {} if is_root else vendor_conventions.set_aside_root_only(attributes, span.name)
    fields = semconv.apply_rules(semconv.OBSERVATION_RULES, attributes)
    trace_metadata = resource.trace_metadata | semconv.copy_trace_metadata(attributes)
    trace_fields = dict(resource.trace_fields)
    trace_fields.update(semconv.apply_rules(semconv.TRACE_RULES, attributes))
    attributes.update(root_only)
    model_parameters = semconv.take_model_parameters(attributes, fields.get("model_parameters_document"))
    trace_metadata.update(semconv.take_documents(attributes, semconv.TRACE_METADATA_DOCUMENTS))
    trace_metadata.update(semconv.take_prefixed(attributes, semconv.TRACE_METADATA_PREFIXES))
    trace_metadata.update(vendor_conventions.take_langsmith_metadata(attributes))
    tags = list(trace_fields.get("tags", []))
    if resource.is_openlit:
        custom_tags = vendor_conventions.take_openlit_custom(attributes, trace_metadata)
        tags.extend(tag for tag in dict.fromkeys(custom_tags) if tag not in tags)
    metadata = semconv.take_prefixed(attributes, semconv.OBSERVATION_METADATA_PREFIXES)
    semconv.drop_ignored(attributes)
    if dropped:
        attributes[DROPPED_ATTRIBUTES_KEY] = dropped
    events = _events(span)
    if events:
        attributes["otel.events"] = events
    attributes["otel.span.kind"] = SPAN_KIND_NAMES.get(span.kind, "SPAN_KIND_UNSPECIFIED")
    if scope:  # which instrumentation made the span: tells two spans of one call apart
        attributes["otel.scope.name"] = scope

    trace_id = span.trace_id.hex()
    span_id = span.span_id.hex()
    parent_id = span.parent_span_id.hex() if span.parent_span_id else None
    start = time_from_ns(span.start_time_unix_nano)
    end = time_from_ns(span.end_time_unix_nano) if span.end_time_unix_nano else None
    if end is not None and end < start:
        end = start  # clock skew inside the client; a negative latency helps nobody

    response_model = fields.get("response_model")
    request_model = fields.get("request_model")
    if model_parameters and isinstance(model_parameters.get("model"), str):
        # OpenInference keeps the requested model only inside llm.invocation_parameters
        requested = model_parameters.pop("model")
        request_model = request_model or requested
    observation_type = fields.get("type")
    if observation_type is None:
        observation_type = ObservationType.GENERATION if (request_model or response_model) else ObservationType.SPAN
    is_error = span.status.code == Status.STATUS_CODE_ERROR
    level = fields.get("level") or (Level.ERROR if is_error else Level.DEFAULT)
    ttft = fields.get("ttft_s")
    completion_start = fields.get("completion_start_time")
    if completion_start is None and ttft is not None and ttft >= 0:
        completion_start = start + timedelta(seconds=ttft)
    input_value = fields.get("input")
    if "system_instructions" in fields:
        input_value = {"system_instructions": fields["system_instructions"], "messages": input_value}
    usage = _usage(fields)
    generation_like = observation_type in (ObservationType.GENERATION, ObservationType.EMBEDDING)
    provider = fields.get("provider")
    if provider is None and scope == vendor_conventions.LANGFUSE_SCOPE:
        provider = vendor_conventions.langfuse_provider(metadata)
        if provider is None and generation_like:
            provider = vendor_conventions.provider_of_model(response_model or request_model)
    # Until the pricing stage prices it, a call with usage is unpriced: never a silent $0.
    status = CostStatus.UNPRICED if generation_like and not usage.is_empty() else CostStatus.NOT_APPLICABLE
    observation = Observation(
        id=span_id,
        trace_id=trace_id,
        start_time=start,
        type=observation_type,
        name=fields.get("name") or span.name or None,
        parent_observation_id=parent_id,
        end_time=end,
        completion_start_time=completion_start,
        level=level,
        status_message=fields.get("status_message") or (_error_message(span) if is_error else None),
        model=response_model or request_model,
        request_model=request_model,
        provider=provider,
        model_parameters=model_parameters,
        source=fields.get("source") or ("provider" if generation_like else None),
        usage=usage,
        cost=_reported_cost(fields, status),
        input=input_value,
        output=fields.get("output"),
        metadata=metadata or None,
        attributes=attributes or None,
        version=fields.get("version"),
        environment=trace_fields.get("environment"),
    )
    trace = Trace(
        id=trace_id,
        timestamp=start,
        name=trace_fields.get("trace_name") or span.name or None,
        user_id=trace_fields.get("user_id"),
        session_id=trace_fields.get("session_id"),
        tags=tags,
        metadata=trace_metadata or None,
        release=trace_fields.get("release"),
        version=fields.get("version"),
        environment=trace_fields.get("environment"),
        is_root_seen=is_root or "trace_name" in trace_fields,
        root_observation_id=span_id if is_root else None,
    )
    return observation, trace


def _span_problem(span: Span) -> str | None:
    if len(span.trace_id) != 16 or span.trace_id == ZERO_TRACE_ID:
        return "trace_id must be 16 non-zero bytes"
    if len(span.span_id) != 8 or span.span_id == ZERO_SPAN_ID:
        return "span_id must be 8 non-zero bytes"
    if span.parent_span_id and len(span.parent_span_id) != 8:
        return "parent_span_id must be empty or 8 bytes"
    if span.start_time_unix_nano == 0:
        return "start_time_unix_nano is missing"
    return None


def decode_request(request: ExportTraceServiceRequest, *, max_attributes: int = 1000) -> Batch:
    """Every span of an export request -> one Batch; bad spans become Rejections. Pure."""
    batch = Batch()
    for resource_spans in request.resource_spans:
        resource = ResourceFacts.of(attributes_dict(resource_spans.resource.attributes, max_attributes)[0])
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope.name
            for span in scope_spans.spans:
                problem = _span_problem(span)
                if problem is not None:
                    batch.rejections.append(Rejection(span.span_id.hex() or None, problem))
                    continue
                observation, trace = decode_span(span, resource, max_attributes, scope)
                batch.observations.append(observation)
                batch.traces.append(trace)
    return batch


def decode_traces(body: bytes, content_type: str, max_attributes: int = 1000) -> Batch:
    """Body of POST /v1/traces -> Batch. Raises BadRequestError when the body cannot be read."""
    if content_type != "json":
        return decode_request(parse_protobuf(body), max_attributes=max_attributes)
    request, unreadable = parse_json(body)
    batch = decode_request(request, max_attributes=max_attributes)
    batch.rejections[:0] = unreadable
    return batch


def encode_response(rejections: list[Rejection], content_type: str) -> bytes:
    """The ExportTraceServiceResponse; partial_success set when some spans were rejected."""
    return encode_export_response(ExportTraceServiceResponse(), "rejected_spans", "span(s)", rejections, content_type)


def encode_export_response(
    response: Any, rejected_field: str, items: str, rejections: list[Rejection], content_type: str
) -> bytes:
    """An Export*ServiceResponse with its partial_success set when some `items` were rejected."""
    if rejections:
        setattr(response.partial_success, rejected_field, len(rejections))
        reasons = sorted({r.reason for r in rejections})
        response.partial_success.error_message = f"{len(rejections)} {items} rejected: " + "; ".join(reasons[:5])
    if content_type == "json":
        return json_format.MessageToJson(response, indent=None).encode()
    return response.SerializeToString()


__all__ = ["decode_traces", "decode_request", "decode_span", "encode_response", "parse_json", "parse_protobuf"]
