"""LangSmith: the application trace through @traceable, in one of the SDK's delivery modes.

    langsmith_client.py MODE

Each mode is chosen on the client side, so that it does not depend on what GET /info answers:
  default    nothing set: GET /info decides (zstd multipart if it says
             instance_flags.zstd_compression_enabled, else plain multipart with a warning)
  multipart  LANGSMITH_DISABLE_RUN_COMPRESSION=true: GET /info, then POST /runs/multipart
  zstd       Client(info=...) with instance_flags.zstd_compression_enabled: zstd multipart, no /info
  batch      Client(info=...) with batch_ingest_config.use_multipart_endpoint=false: POST /runs/batch
  runs       Client(auto_batch_tracing=False): POST /runs at each start, PATCH /runs/{id} at each end
  otel       LANGSMITH_OTEL_ENABLED + LANGSMITH_OTEL_ONLY: OTLP protobuf to /otel/v1/traces only
  hybrid     LANGSMITH_OTEL_ENABLED alone: multipart and OTLP, the same runs on both
  slow       as multipart, but the root is still open when the first batch is flushed
"""

from __future__ import annotations

import os
import sys
import uuid
import warnings

from common import (
    ANSWER,
    CACHED_TOKENS,
    COMPLETION_TOKENS,
    DOCUMENTS,
    MESSAGES,
    METADATA,
    MODEL,
    PROMPT_TOKENS,
    PROVIDER,
    SCORE,
    SESSION_ID,
    TAGS,
    TOOL_ERROR,
    USER_ID,
    report_id,
    sdk_settings,
)

MODES = ("default", "multipart", "zstd", "batch", "runs", "otel", "hybrid", "slow")
mode = sys.argv[1] if len(sys.argv) > 1 else "default"
assert mode in MODES, f"mode must be one of {MODES}"

url, key = sdk_settings()
os.environ.update(LANGSMITH_ENDPOINT=url, LANGSMITH_API_KEY=key, LANGSMITH_TRACING="true")
os.environ.setdefault("LANGSMITH_PROJECT", "theodolite-test")
if mode in ("multipart", "slow"):
    os.environ["LANGSMITH_DISABLE_RUN_COMPRESSION"] = "true"
if mode in ("otel", "hybrid"):
    os.environ["LANGSMITH_OTEL_ENABLED"] = "true"
if mode == "otel":
    os.environ["LANGSMITH_OTEL_ONLY"] = "true"

from langsmith import Client, traceable  # noqa: E402  (reads the environment when imported)
from langsmith.run_helpers import get_current_run_tree  # noqa: E402

INFO = {
    # What GET /info would have to answer to select these modes; given to the client instead.
    "zstd": {"instance_flags": {"zstd_compression_enabled": True}},
    "batch": {
        "batch_ingest_config": {
            "use_multipart_endpoint": False,
            "size_limit": 100,
            "size_limit_bytes": None,
            "scale_up_nthreads_limit": 16,
            "scale_up_qsize_trigger": 1000,
            "scale_down_nempty_trigger": 4,
        }
    },
}
client = Client(api_url=url, api_key=key, auto_batch_tracing=mode != "runs", info=INFO.get(mode))
otel_roots: list[str] = []
if client.otel_exporter is not None:
    # The SDK starts the root span in an empty OTel context, so the OTLP trace id is a fresh random
    # one, not the root run's UUID: read it from the spans the SDK's tracer provider ends.
    from opentelemetry import trace
    from opentelemetry.sdk.trace import SpanProcessor

    class RootIds(SpanProcessor):
        def on_end(self, span) -> None:  # type: ignore[no-untyped-def]
            if span.parent is None:
                otel_roots.append(format(span.context.trace_id, "032x"))

    trace.get_tracer_provider().add_span_processor(RootIds())  # type: ignore[attr-defined]


@traceable(run_type="retriever", name="search_docs")
def search_docs(query: str) -> list[dict]:
    return [{**document, "type": "Document"} for document in DOCUMENTS]


@traceable(run_type="tool", name="calculator")
def calculator(expression: str) -> str:
    raise ValueError(TOOL_ERROR)


@traceable(
    run_type="llm", name="chat", metadata={"ls_provider": PROVIDER, "ls_model_name": MODEL, "ls_temperature": 0.2}
)
def chat(messages: list[dict]) -> dict:
    usage = {
        "input_tokens": PROMPT_TOKENS,
        "output_tokens": COMPLETION_TOKENS,
        "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
        "input_token_details": {"cache_read": CACHED_TOKENS},
    }
    return {
        "choices": [{"message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"}],
        "model": MODEL,
        "usage_metadata": usage,
    }


@traceable(run_type="chain", name="handle_question")
def handle_question(question: str) -> str:
    search_docs(question)
    try:
        calculator("2 + 2")
    except ValueError:
        pass  # the application goes on without the tool
    answer = chat(MESSAGES)["choices"][0]["message"]["content"]
    if mode == "slow":
        client.flush(timeout=30)  # the children go out now; the root ends in a later request
    return answer


root_id: list[uuid.UUID] = []


def capture_root(run: object) -> None:
    root_id.append(run.trace_id)  # type: ignore[attr-defined]


handle_question(
    "hi",
    langsmith_extra={
        "client": client,
        "tags": TAGS,
        "on_end": capture_root,
        "metadata": {**METADATA, "user_id": USER_ID, "session_id": SESSION_ID},
    },
)
trace_id = root_id[0]
with warnings.catch_warnings():
    # The feedback's session_id is the LangSmith project's UUID, which an application on another
    # server does not have; without it the SDK warns that run-level feedback should carry one.
    warnings.filterwarnings("ignore", message="Creating feedback for a run without session_id")
    client.create_feedback(
        run_id=trace_id, trace_id=trace_id, key=SCORE["name"], score=SCORE["value"], comment=SCORE["comment"]
    )
client.flush(timeout=60)
pending = client.tracing_queue.unfinished_tasks if client.tracing_queue is not None else 0
assert pending == 0, f"{pending} run operations not delivered"  # e.g. a partial /info batch_ingest_config
if client.otel_exporter is not None:
    assert trace.get_tracer_provider().force_flush(30_000), "OTLP spans not delivered"  # type: ignore[attr-defined]
client.cleanup(timeout=10)
assert get_current_run_tree() is None
# The runs API carries the root run's UUID; OTLP carries an unrelated OTel trace id.
if mode == "otel":
    report_id(otel_roots[0])
elif mode == "hybrid":
    report_id(str(trace_id), otel_trace_id=otel_roots[0])
else:
    report_id(str(trace_id))
