"""OpenLIT: openlit.init() instruments the real openai and anthropic clients."""

from __future__ import annotations

import json
import os
import tempfile

import openlit
from common import call_anthropic, call_openai, report, settings
from opentelemetry import _logs, metrics, trace

url, key, provider_url = settings()
# Without pricing_json, init() downloads a price file from GitHub; give it a local one.
pricing = os.path.join(tempfile.mkdtemp(), "pricing.json")
with open(pricing, "w") as f:
    json.dump({"chat": {"gpt-4o-mini": {"promptPrice": 0.00015, "completionPrice": 0.0006}}}, f)
openlit.init(
    application_name="atlas-app",
    environment="staging",
    otlp_endpoint=url,
    otlp_headers=f"Authorization=Bearer {key}",
    disable_batch=True,
    pricing_json=pricing,
    custom_span_attributes={"agent": "atlas"},  # written verbatim as `agent` on each LLM span
)

with openlit.start_trace("handle_question") as root:
    with openlit.using_attributes({"user.id": "u1", "session.id": "s1", "tags": ["prod"]}):
        call_openai(provider_url)
        call_anthropic(provider_url)
    # A `gen_ai.evaluation.result` log event (and a span event) on the active span, the root.
    openlit.log_score("helpful", 0.9, comment="on topic", metadata={"reviewer": "human"})
    trace_id = trace.get_current_span().get_span_context().trace_id
trace.get_tracer_provider().force_flush(30_000)
# Logs and metrics go out when their providers flush; at exit at the latest (the test waits for it).
_logs.get_logger_provider().force_flush(30_000)
metrics.get_meter_provider().force_flush(30_000)
report(trace_id)
