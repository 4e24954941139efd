"""Sending spans with the real OpenTelemetry SDK and exporters, as applications do."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import Status, StatusCode


def protobuf_exporter(endpoint: str, secret: str, *, gzip: bool = False) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(
        endpoint=endpoint,
        headers={"Authorization": f"Bearer {secret}"},
        compression=Compression.Gzip if gzip else Compression.NoCompression,
    )


def json_exporter(endpoint: str, secret: str) -> SpanExporter:
    from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter  # type: ignore[import-not-found]

    return OTLPSpanExporter(endpoint=endpoint, headers={"Authorization": f"Bearer {secret}"})


def provider_with(exporter: SpanExporter, **resource: Any) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": "test-app", **resource}))
    # Simple processor: each span is exported (and acknowledged after commit) when it ends.
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def send_reference_trace(provider: TracerProvider) -> str:
    """The trace every client SDK was made to send in the wire captures: root, retriever, failing tool, LLM call.

    Returns the trace id (32 hex).
    """
    tracer = provider.get_tracer("theodolite-tests")
    with tracer.start_as_current_span(
        "handle_question",
        attributes={
            "user.id": "u1",
            "session.id": "s1",
            "gen_ai.agent.name": "atlas",
            "input.value": json.dumps({"question": "hi"}),
        },
    ) as root:
        with tracer.start_as_current_span("search_docs", attributes={"gen_ai.operation.name": "retrieve"}):
            pass
        with tracer.start_as_current_span("calculator", attributes={"gen_ai.operation.name": "execute_tool"}) as tool:
            try:
                raise ValueError("calculator exploded")
            except ValueError as exc:
                tool.record_exception(exc)
                tool.set_status(Status(StatusCode.ERROR, "calculator exploded"))
        with tracer.start_as_current_span(
            "chat gpt-4o-mini",
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.request.temperature": 0.2,
                "gen_ai.usage.input_tokens": 12,
                "gen_ai.usage.output_tokens": 5,
                "gen_ai.usage.cache_read.input_tokens": 2,
                "gen_ai.input.messages": json.dumps(
                    [
                        {"role": "system", "parts": [{"type": "text", "content": "You are helpful."}]},
                        {"role": "user", "parts": [{"type": "text", "content": "hi"}]},
                    ]
                ),
                "gen_ai.output.messages": json.dumps(
                    [
                        {
                            "role": "assistant",
                            "parts": [{"type": "text", "content": "Hello! How can I help?"}],
                            "finish_reason": "stop",
                        },
                    ]
                ),
            },
        ):
            pass
        trace_id = format(root.get_span_context().trace_id, "032x")
    return trace_id


Send = Callable[[TracerProvider], str]
