"""Traceloop / OpenLLMetry: traceloop-sdk with its openai and anthropic instrumentations."""

from __future__ import annotations

from common import call_anthropic, call_openai, report, settings
from opentelemetry import trace
from traceloop.sdk import Traceloop
from traceloop.sdk.decorators import workflow

url, key, provider_url = settings()
Traceloop.init(
    app_name="atlas-app",
    api_endpoint=url,
    headers={"Authorization": f"Bearer {key}"},
    disable_batch=True,
    telemetry_enabled=False,
)
Traceloop.set_association_properties({"user_id": "u1", "session_id": "s1", "agent": "atlas"})


@workflow(name="handle_question")
def handle_question() -> int:
    call_openai(provider_url)
    call_anthropic(provider_url)
    return trace.get_current_span().get_span_context().trace_id


trace_id = handle_question()
trace.get_tracer_provider().force_flush(30_000)
report(trace_id)
