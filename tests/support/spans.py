"""Spans made with the real OTel SDK, encoded by the real OTLP encoder, decoded by our adapter."""

from __future__ import annotations

from typing import Any

import httpx
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from tests.support.server import SECRET_KEY, TheodoliteServer
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


def export_tree(root: tuple[str, dict[str, Any]], children: list[tuple[str, dict[str, Any]]], *, scope: str,
                resource: dict[str, Any] | None = None) -> ExportTraceServiceRequest:  # fmt: skip
    """One trace as an SDK exports it: a root span with `children` under it, made by the real OTel
    SDK with the instrumentation scope `scope` and encoded by the real OTLP encoder."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource(resource or {}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer(scope)
    with tracer.start_as_current_span(root[0], attributes=root[1]):
        for name, attributes in children:
            with tracer.start_as_current_span(name, attributes=attributes):
                pass
    provider.shutdown()
    return encode_spans(exporter.get_finished_spans())


def decode_tree(root: tuple[str, dict[str, Any]], children: list[tuple[str, dict[str, Any]]], *, scope: str,
                resource: dict[str, Any] | None = None) -> dict[str, tuple[Observation, Trace]]:  # fmt: skip
    """`export_tree` through the adapter: span name -> (its observation, the trace part it carries)."""
    batch = decode_request(export_tree(root, children, scope=scope, resource=resource))
    assert not batch.rejections
    return {obs.name: (obs, trace) for obs, trace in zip(batch.observations, batch.traces, strict=True)}


def llm_body(model: str, *, user: str = "u1", ttft_s: float | None = 0.25, error: bool = False,
             source: str = "provider", session: str | None = None) -> bytes:  # fmt: skip
    """One generation span (1,000 input and 500 output tokens), encoded by the real OTel SDK's OTLP encoder.
    `source` is where its answer came from: provider, cache, fallback_<kind>."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": model,
                  "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 500, "user.id": user,
                  "theodolite.generation.source": source}  # fmt: skip
    if ttft_s is not None:
        attributes["gen_ai.server.time_to_first_token"] = ttft_s
    if session is not None:
        attributes["session.id"] = session
    with provider.get_tracer("t").start_as_current_span("summarise", attributes=attributes) as span:
        if error:
            from opentelemetry.trace import Status, StatusCode

            span.set_status(Status(StatusCode.ERROR, "rate limited"))
    provider.shutdown()
    return encode_spans(exporter.get_finished_spans()).SerializeToString()


def post(server: TheodoliteServer, body: bytes) -> None:
    headers = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {SECRET_KEY}"}
    response = httpx.post(f"{server.base_url}/v1/traces", content=body, timeout=30, headers=headers)
    assert response.status_code == 200, response.text
