"""In-process Prometheus metrics for applications that expose their own /metrics.

    from theodolite.metrics import track_llm_call, track_http_request, asgi_app
    track_llm_call(model="gpt-4o", feature="chat", prompt_tokens=1000, completion_tokens=500,
                   cost_usd=0.015, duration=2.5, status="success")
    track_http_request(method="POST", endpoint="/api/v1/chat", status=200, duration=0.5)
    app.mount("/metrics", asgi_app(token="s3cret"))              # or wsgi_app()

or with an instance of one's own: `metrics = LLMMetrics(namespace="acme", project="bot")`.

An application's metrics are named `<namespace>_*` (`app_*` by default: app_llm_requests_total,
app_llm_cost_usd_total...), never like the server's (`theodolite_*`, `gen_ai_client_*`), so that
a call the application counts and the server derives from its trace is never summed twice.
Statuses are `ok` or `error`, as on the server. Each LLMMetrics owns its registry: nothing is
added to prometheus_client's global one.
"""

from theodolite.metrics.default import (
    active_generation,
    asgi_app,
    default_metrics,
    get_metrics,
    set_active_users,
    set_db_connections,
    set_default_metrics,
    time_db_query,
    track_cache_lookup,
    track_db_query,
    track_error,
    track_http_request,
    track_llm_call,
    track_question,
    track_revenue,
    wsgi_app,
)
from theodolite.metrics.inprocess import LLMMetrics, normalise_status

__all__ = [
    "LLMMetrics",
    "active_generation",
    "asgi_app",
    "default_metrics",
    "get_metrics",
    "normalise_status",
    "set_active_users",
    "set_db_connections",
    "set_default_metrics",
    "time_db_query",
    "track_cache_lookup",
    "track_db_query",
    "track_error",
    "track_http_request",
    "track_llm_call",
    "track_question",
    "track_revenue",
    "wsgi_app",
]
