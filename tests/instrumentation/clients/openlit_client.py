"""OpenLIT: openlit.init() instruments the real openai and anthropic clients."""

from __future__ import annotations

import json
import os
import tempfile

import openlit
from common import call_anthropic, call_openai, report, settings
from opentelemetry import trace

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
    disable_metrics=True,
    disable_events=True,
    pricing_json=pricing,
)

with openlit.start_trace("handle_question") as root:
    with openlit.using_attributes({"user.id": "u1", "session.id": "s1", "gen_ai.agent.name": "atlas"}):
        call_openai(provider_url)
        call_anthropic(provider_url)
    trace_id = trace.get_current_span().get_span_context().trace_id
trace.get_tracer_provider().force_flush(30_000)
report(trace_id)
