"""Theodolite: observability for LLM applications.

This module is the SDK facade; it must stay importable with the SDK's own dependencies alone
(the server lives behind the `server` extra).

    import theodolite
    theodolite.configure(endpoint="http://127.0.0.1:4318", api_key="sk-th-...")

    @theodolite.observe(as_type="tool")
    def search(query: str) -> list[str]: ...

    theodolite.track_llm_call(model="gpt-4o", feature="chat", prompt_tokens=1000, completion_tokens=500)
"""

__version__ = "0.1.0"

from theodolite.sdk.client import configure, flush, shutdown  # noqa: E402
from theodolite.sdk.context import propagate  # noqa: E402
from theodolite.sdk.tracing import (  # noqa: E402
    Observation,
    capturing,
    current_trace_id,
    current_traceparent,
    generation,
    observe,
    score,
    span,
    update_current,
)

# The in-process metrics (theodolite.metrics) load prometheus-client: imported on first use, so
# that `import theodolite` stays as light as tracing needs.
_METRICS = frozenset({"track_llm_call", "track_http_request"})


def __getattr__(name: str) -> object:
    if name in _METRICS:
        import theodolite.metrics

        return getattr(theodolite.metrics, name)
    if name == "run_experiment":  # loads theodolite.evaluation: on first use too
        from theodolite.sdk.experiments import run_experiment

        return run_experiment
    raise AttributeError(f"module 'theodolite' has no attribute {name!r}")


__all__ = [
    "Observation",
    "capturing",
    "configure",
    "current_trace_id",
    "current_traceparent",
    "flush",
    "generation",
    "observe",
    "propagate",
    "run_experiment",
    "score",
    "shutdown",
    "span",
    "track_http_request",
    "track_llm_call",
    "update_current",
]
