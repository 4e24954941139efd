"""The module-level default LLMMetrics and functions over it, so that an application can write

    from theodolite.metrics import track_llm_call, track_http_request
    track_llm_call(model="gpt-4o", feature="chat", prompt_tokens=1000, completion_tokens=500,
                   cost_usd=0.015, duration=2.5, status="success")

without creating and passing an instance around. The default is created on first use (namespace
`app`, tracing on) unless `set_default_metrics` installed one first; the provider wrappers
(theodolite.integrations) count their calls into it too once it exists.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

from theodolite.metrics.inprocess import OK, LLMMetrics

_lock = threading.Lock()
_default: LLMMetrics | None = None


def set_default_metrics(metrics: LLMMetrics | None) -> None:
    """Make `metrics` the default the module-level functions and the provider wrappers count into
    (e.g. `set_default_metrics(LLMMetrics(namespace="acme", project="bot"))`); None forgets it."""
    global _default
    with _lock:
        _default = metrics


def default_metrics() -> LLMMetrics | None:
    """The default LLMMetrics if one was set or created, else None (never creates one)."""
    return _default


def get_metrics() -> LLMMetrics:
    """The default LLMMetrics, created on first use (LLMMetrics() with its defaults)."""
    global _default
    current = _default
    if current is not None:
        return current
    with _lock:
        if _default is None:
            _default = LLMMetrics()
        return _default


def track_llm_call(
    model: str,
    feature: str,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    cost_usd: float | Decimal | None = None,
    duration: float | None = None,
    status: str = OK,
    source: str = "provider",
    *,
    provider: str | None = None,
    trace: bool | None = None,
) -> None:
    """LLMMetrics.track_llm_call on the default instance."""
    get_metrics().track_llm_call(model, feature, prompt_tokens, completion_tokens, cost_usd, duration, status, source,
                                 provider=provider, trace=trace)  # fmt: skip


def track_http_request(method: str, endpoint: str, status: int | str, duration: float) -> None:
    """LLMMetrics.track_http_request on the default instance."""
    get_metrics().track_http_request(method, endpoint, status, duration)


def track_db_query(operation: str, table: str, duration: float, status: str = OK) -> None:
    get_metrics().track_db_query(operation, table, duration, status)


def time_db_query(operation: str, table: str = "") -> AbstractContextManager[None]:
    return get_metrics().time_db_query(operation, table)


def set_db_connections(pool: str, active: int) -> None:
    get_metrics().set_db_connections(pool, active)


def set_active_users(count: int) -> None:
    get_metrics().set_active_users(count)


def track_question(source: str, language: str) -> None:
    get_metrics().track_question(source, language)


def track_revenue(plan: str, amount_usd: float | Decimal) -> None:
    get_metrics().track_revenue(plan, amount_usd)


def track_error(type: str, severity: str = "error") -> None:  # noqa: A002 (the label's name)
    get_metrics().track_error(type, severity)


def track_cache_lookup(hit: bool, feature: str = "") -> None:
    get_metrics().track_cache_lookup(hit, feature)


def active_generation(model: str) -> AbstractContextManager[None]:
    return get_metrics().active_generation(model)


def asgi_app(token: str | None = None) -> Any:
    """An ASGI app serving the default registry (`app.mount("/metrics", asgi_app(token=...))`)."""
    return get_metrics().asgi_app(token)


def wsgi_app(token: str | None = None) -> Any:
    """A WSGI app serving the default registry."""
    return get_metrics().wsgi_app(token)


__all__ = [
    "active_generation",
    "asgi_app",
    "default_metrics",
    "get_metrics",
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
