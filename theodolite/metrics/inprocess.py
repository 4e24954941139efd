"""LLMMetrics: the helpers teams write by hand for an app-side /metrics (track_llm_call & co.), on an owned registry."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    make_asgi_app,
    make_wsgi_app,
)

from theodolite import __version__
from theodolite.metrics.catalog import HTTP_BUCKETS, OPERATION_DURATION_BUCKETS, TOKEN_USAGE_BUCKETS

log = logging.getLogger("theodolite")

# Bucket boundaries from the catalog (the OpenTelemetry GenAI ones for generations).
DURATION_BUCKETS = OPERATION_DURATION_BUCKETS
TOKEN_BUCKETS = TOKEN_USAGE_BUCKETS
GENERATION_LABELS = ("project", "model", "provider", "name", "source", "status")


class LLMMetrics:
    """Counters, histograms and gauges of an LLM application, on a registry of its own."""

    def __init__(self, *, project: str = "", provider: str = "", version: str = "",
                 registry: CollectorRegistry | None = None,
                 price: Callable[..., Decimal | None] | None = None) -> None:  # fmt: skip
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.project, self.provider = project, provider
        self._price = price if price is not None else _price_from_table
        r = self.registry
        self.generations = Counter("theodolite_generations", "LLM generations, by model, feature (name), source "
                                   "and status.", GENERATION_LABELS, registry=r)  # fmt: skip
        self.tokens = Counter("theodolite_tokens", "Tokens used by generations, by type (input, output).",
                              (*GENERATION_LABELS[:-1], "token_type"), registry=r)  # fmt: skip
        self.cost = Counter("theodolite_cost_usd", "Cost in USD of priced generations.", GENERATION_LABELS[:-1],
                            registry=r)  # fmt: skip
        self.unpriced = Counter("theodolite_generations_unpriced", "Generations with usage but no known price.",
                                ("project", "model", "provider"), registry=r)  # fmt: skip
        self.duration = Histogram("gen_ai_client_operation_duration_seconds", "Duration of generations.",
                                  GENERATION_LABELS, buckets=DURATION_BUCKETS, registry=r)  # fmt: skip
        self.token_usage = Histogram("gen_ai_client_token_usage", "Tokens per generation (input and output).",
                                     ("project", "model", "provider", "token_type"), buckets=TOKEN_BUCKETS,
                                     registry=r)  # fmt: skip
        self.active = Gauge("theodolite_active_generations", "Generations in flight.", ("project", "model"),
                            registry=r)  # fmt: skip
        self.cache_lookups = Counter("theodolite_cache_lookups", "Response-cache lookups, by result (hit, miss).",
                                     ("project", "name", "result"), registry=r)  # fmt: skip
        self.http_requests = Counter("theodolite_http_requests", "HTTP requests served.",
                                     ("method", "endpoint", "status"), registry=r)  # fmt: skip
        self.http_duration = Histogram("theodolite_http_request_duration_seconds", "HTTP request duration.",
                                       ("method", "endpoint"), buckets=HTTP_BUCKETS, registry=r)  # fmt: skip
        self.db_duration = Histogram("theodolite_db_query_duration_seconds", "Database query duration.",
                                     ("operation", "status"), buckets=HTTP_BUCKETS, registry=r)  # fmt: skip
        self.events = Counter("theodolite_business_events", "Business events (signups, documents, ...).",
                              ("event",), registry=r)  # fmt: skip
        self.errors = Counter("theodolite_app_errors", "Application errors, by kind.", ("kind",), registry=r)
        self.build = Gauge("theodolite_build_info", "Always 1; versions as labels.", ("version", "app_version"),
                           registry=r)  # fmt: skip
        ProcessCollector(registry=r)  # process_cpu_seconds_total, process_resident_memory_bytes, uptime...
        self.build.labels(__version__, version).set(1)

    # --- LLM calls ---------------------------------------------------------------------------
    def track_llm_call(
        self,
        model: str,
        feature: str,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cost_usd: float | Decimal | None = None,
        duration: float | None = None,
        status: str = "success",
        source: str = "provider",
        *,
        provider: str | None = None,
        trace: bool = True,
    ) -> None:
        """Count one LLM call. Without `cost_usd` the cost comes from the price table (when
        genai-prices is installed: `pip install "theodolite[prices]"`); an unknown price is
        counted as unpriced, never as $0. With tracing configured, the call is also recorded
        as a generation in the current trace (`trace=False` to skip)."""
        provider = provider if provider is not None else self.provider
        labels = (self.project, model, provider, feature, source)
        self.generations.labels(*labels, status).inc()
        for token_type, count in (("input", prompt_tokens), ("output", completion_tokens)):
            if count:
                self.tokens.labels(*labels, token_type).inc(count)
                self.token_usage.labels(self.project, model, provider, token_type).observe(count)
        if duration is not None:
            self.duration.labels(*labels, status).observe(duration)
        if cost_usd is None and source == "provider" and (prompt_tokens or completion_tokens):
            cost_usd = self._price(model, provider, prompt_tokens, completion_tokens)
            if cost_usd is None:
                self.unpriced.labels(self.project, model, provider).inc()
        if cost_usd is not None:
            self.cost.labels(*labels).inc(float(cost_usd))
        if trace:
            _trace_generation(model, provider, feature, prompt_tokens, completion_tokens, duration, status, source)

    @contextmanager
    def active_generation(self, model: str) -> Iterator[None]:
        """Count a generation as in flight for the duration of the block."""
        gauge = self.active.labels(self.project, model)
        gauge.inc()
        try:
            yield
        finally:
            gauge.dec()

    def track_cache_lookup(self, hit: bool, feature: str = "") -> None:
        self.cache_lookups.labels(self.project, feature, "hit" if hit else "miss").inc()

    # --- the rest of the application ---------------------------------------------------------
    def track_http_request(self, method: str, endpoint: str, status: int | str, duration: float) -> None:
        self.http_requests.labels(method.upper(), endpoint, str(status)).inc()
        self.http_duration.labels(method.upper(), endpoint).observe(duration)

    @contextmanager
    def time_db_query(self, operation: str) -> Iterator[None]:
        started = time.perf_counter()
        status = "ok"
        try:
            yield
        except BaseException:
            status = "error"
            raise
        finally:
            self.db_duration.labels(operation, status).observe(time.perf_counter() - started)

    def count_event(self, event: str, amount: float = 1) -> None:
        self.events.labels(event).inc(amount)

    def count_error(self, kind: str) -> None:
        self.errors.labels(kind).inc()

    # --- exposition --------------------------------------------------------------------------
    def asgi_app(self, token: str | None = None) -> Any:
        """An ASGI app serving this registry; with `token`, only to `Authorization: Bearer <token>`."""
        app = make_asgi_app(self.registry)
        if token is None:
            return app

        async def guarded(scope: dict, receive: Any, send: Any) -> None:
            header = dict(scope.get("headers") or []).get(b"authorization")
            if scope["type"] == "http" and not _authorised(header, token):
                headers = [(b"content-type", b"text/plain"), (b"www-authenticate", b"Bearer")]
                await send({"type": "http.response.start", "status": 401, "headers": headers})
                await send({"type": "http.response.body", "body": b"401: a bearer token is required\n"})
                return
            await app(scope, receive, send)

        return guarded

    def wsgi_app(self, token: str | None = None) -> Any:
        """A WSGI app serving this registry; with `token`, only to `Authorization: Bearer <token>`."""
        app = make_wsgi_app(self.registry)
        if token is None:
            return app

        def guarded(environ: dict, start_response: Any) -> Any:
            header = environ.get("HTTP_AUTHORIZATION")
            if not _authorised(header.encode() if header else None, token):
                start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")])
                return [b"401: a bearer token is required\n"]
            return app(environ, start_response)

        return guarded


def _authorised(header: bytes | None, token: str) -> bool:
    expected = f"Bearer {token}".encode()
    return header is not None and hmac.compare_digest(header, expected)


def _price_from_table(model: str, provider: str, prompt_tokens: int, completion_tokens: int) -> Decimal | None:
    try:
        from theodolite.model import Usage
        from theodolite.pricing.engine import price_usage
    except ImportError:  # genai-prices is not installed: no price, counted as unpriced
        return None
    priced = price_usage(Usage(prompt_tokens, completion_tokens).completed(), model, provider or None,
                         datetime.now(UTC))  # fmt: skip
    return priced.total


def _trace_generation(model: str, provider: str, feature: str, prompt_tokens: int, completion_tokens: int,
                      duration: float | None, status: str, source: str) -> None:  # fmt: skip
    """Record the call as a generation too, when the SDK's tracing is configured. Never raises."""
    try:
        from theodolite.sdk.client import get_client
        from theodolite.sdk.tracing import end_record, start_record

        client = get_client()
        if not client.enabled or not client.config.api_key:
            return
        record = start_record(client, feature or model, "generation")
        if duration:
            record.start_ns -= int(duration * 1e9)
        attributes = record.attributes
        attributes.update({
            "gen_ai.request.model": model, "gen_ai.usage.input_tokens": prompt_tokens,
            "gen_ai.usage.output_tokens": completion_tokens, "theodolite.generation.source": source,
        })  # fmt: skip
        if provider:
            attributes["gen_ai.provider.name"] = provider
        if status not in ("success", "ok"):
            record.error = status
            attributes["theodolite.observation.level"] = "ERROR"
        end_record(client, record)
    except Exception:  # noqa: BLE001
        log.exception("theodolite: tracing a tracked LLM call failed")


_default: LLMMetrics | None = None


def set_default_metrics(metrics: LLMMetrics | None) -> None:
    """Let the provider wrappers count their calls into `metrics` as well."""
    global _default
    _default = metrics


def default_metrics() -> LLMMetrics | None:
    return _default
