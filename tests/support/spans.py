"""Spans made with the real OTel SDK, encoded by the real OTLP encoder, decoded by our adapter."""

from __future__ import annotations

from typing import Any

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from theodolite.ingestion.adapters.otlp import decode_request
from theodolite.model import Observation, Trace


def decode_one(attributes: dict[str, Any], *, name: str = "span", resource: dict[str, Any] | None = None,
               error: str | None = None) -> tuple[Observation, Trace]:  # fmt: skip
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource(resource or {}))  # no SDK defaults: exactly these
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("test").start_as_current_span(name, attributes=attributes) as span:
        if error:
            span.set_status(Status(StatusCode.ERROR, error))
    provider.shutdown()
    batch = decode_request(encode_spans(exporter.get_finished_spans()))
    assert not batch.rejections
    [observation], [trace] = batch.observations, batch.traces
    return observation, trace
