"""Hand-made OTLP request bodies for edge cases the SDK exporters never produce."""

from __future__ import annotations

import os
import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span


def request_with_spans(
    count: int, *, attributes: int = 3, pad_bytes: int = 200, trace_id: bytes | None = None
) -> tuple[bytes, str]:
    """One trace of `count` spans (the first is the root); returns (body, trace id hex)."""
    trace_id = trace_id or os.urandom(16)
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    request.resource_spans[0].resource.attributes.append(_kv("service.name", "edge-cases"))
    now = time.time_ns()
    root_id = None
    for index in range(count):
        span = scope.spans.add()
        span.trace_id = trace_id
        span.span_id = os.urandom(8)
        if root_id is None:
            root_id = span.span_id
        else:
            span.parent_span_id = root_id
        span.name = f"span-{index}"
        span.start_time_unix_nano = now + index * 1000
        span.end_time_unix_nano = now + index * 1000 + 500_000
        for a in range(attributes):
            span.attributes.append(_kv(f"attr.{a}", "x" * (pad_bytes // max(attributes, 1))))
    return request.SerializeToString(), trace_id.hex()


def _kv(key: str, value: str) -> KeyValue:
    kv = KeyValue(key=key)
    kv.value.string_value = value
    return kv


def span(
    trace_id: bytes,
    name: str,
    start_ns: int,
    *,
    parent: bytes | None = None,
    tokens: tuple[int, int] | None = None,
    span_id: bytes | None = None,
) -> Span:
    """One span of `trace_id`; with `tokens`, a chat generation reporting (input, output) tokens."""
    result = Span(trace_id=trace_id, span_id=span_id or os.urandom(8), name=name)
    result.start_time_unix_nano, result.end_time_unix_nano = start_ns, start_ns + 1_000_000
    if parent is not None:
        result.parent_span_id = parent
    if tokens is not None:
        for key, value in (("gen_ai.operation.name", "chat"), ("gen_ai.request.model", "gpt-4o-mini")):
            result.attributes.append(_kv(key, value))
        for key, count in zip(("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"), tokens, strict=True):
            kv = KeyValue(key=key)
            kv.value.int_value = count
            result.attributes.append(kv)
    return result


def request_of(*spans: Span) -> bytes:
    """An ExportTraceServiceRequest body holding `spans`."""
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    request.resource_spans[0].resource.attributes.append(_kv("service.name", "edge-cases"))
    scope.spans.extend(spans)
    return request.SerializeToString()
