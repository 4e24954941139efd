"""Times one SDK's decorated call, in its own process (each SDK may live in its own venv).

    python worker.py SDK CALLS ENDPOINT  ->  one JSON line

The function is trivial on purpose: what is measured is what the SDK adds. `calls_us` is the
time per call of the loop alone; `total_us` also counts the flush at the end, so work the SDK
deferred to a background thread (sharing the GIL with the application) is included.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def setup(sdk: str, endpoint: str):  # noqa: ANN201 - returns (decorated function, flush)
    def work(x: int) -> int:
        return x + 1

    if sdk == "none":
        return work, lambda: None
    if sdk in ("theodolite", "theodolite-down"):
        import theodolite

        if sdk == "theodolite":
            theodolite.configure(endpoint=endpoint, api_key="bench", max_queue_spans=2_000_000)
            return theodolite.observe(work), lambda: theodolite.flush(120)
        # the server is down: default queue bound; the flush gives up after a second
        theodolite.configure(endpoint=endpoint, api_key="bench")
        return theodolite.observe(work), lambda: theodolite.flush(1)
    if sdk == "otel":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"),
                                                       max_queue_size=2_000_000))  # fmt: skip
        tracer = provider.get_tracer("bench")

        def traced(x: int) -> int:
            with tracer.start_as_current_span("work"):
                return work(x)

        return traced, lambda: provider.force_flush(120_000)
    if sdk == "langfuse":
        os.environ.update(LANGFUSE_BASE_URL=endpoint, LANGFUSE_PUBLIC_KEY="pk-lf-bench",
                          LANGFUSE_SECRET_KEY="sk-lf-bench", LANGFUSE_OTEL_COMPRESSION="none")  # fmt: skip
        from langfuse import get_client, observe

        client = get_client()
        return observe(work), lambda: client.flush()
    if sdk == "langsmith":
        os.environ.update(LANGSMITH_ENDPOINT=endpoint, LANGSMITH_API_KEY="bench", LANGSMITH_TRACING="true")
        from langsmith import Client, traceable

        client = Client()
        return traceable(work, client=client), lambda: client.flush()
    raise SystemExit(f"unknown sdk {sdk}")


def main() -> None:
    sdk, calls, endpoint = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    function, flush = setup(sdk, endpoint)
    for i in range(min(1000, calls)):  # warm-up: imports, first export
        function(i)
    flush()
    started = time.perf_counter()
    for i in range(calls):
        function(i)
    looped = time.perf_counter()
    flush()
    finished = time.perf_counter()
    print(json.dumps({
        "sdk": sdk, "calls": calls, "calls_us": (looped - started) / calls * 1e6,
        "total_us": (finished - started) / calls * 1e6,
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **dropped(sdk),
    }))  # fmt: skip


def dropped(sdk: str) -> dict:
    if not sdk.startswith("theodolite"):
        return {}
    from theodolite.sdk.client import get_client

    exporter = get_client().exporter
    return {"dropped": exporter.dropped_spans, "queued": len(exporter._spans), "failed": exporter.failed_spans}


if __name__ == "__main__":
    main()
