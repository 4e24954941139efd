"""OpenInference: openinference-instrumentation-openai and -anthropic on the real clients."""

from __future__ import annotations

from common import call_anthropic, call_openai, report, settings
from openinference.instrumentation import using_attributes
from openinference.instrumentation.anthropic import AnthropicInstrumentor
from openinference.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

url, key, provider_url = settings()
provider = TracerProvider(resource=Resource.create({"service.name": "atlas-app"}))
exporter = OTLPSpanExporter(endpoint=f"{url}/v1/traces", headers={"Authorization": f"Bearer {key}"})
provider.add_span_processor(BatchSpanProcessor(exporter))
OpenAIInstrumentor().instrument(tracer_provider=provider)
AnthropicInstrumentor().instrument(tracer_provider=provider)

with using_attributes(session_id="s1", user_id="u1", tags=["prod"], metadata={"agent": "atlas"}):
    with provider.get_tracer("atlas").start_as_current_span(
        "handle_question", attributes={"openinference.span.kind": "CHAIN"}
    ) as root:
        call_openai(provider_url)
        call_anthropic(provider_url)
assert provider.force_flush(30_000), "spans not delivered"
provider.shutdown()
report(root.get_span_context().trace_id)
