"""LLMMetrics: an application's own Prometheus metrics (LLM calls, HTTP, database, business,
health) on a registry of its own, under a namespace (`app_*` by default) that no server metric
uses, so that a dashboard summing every scraped job never counts one call twice."""

from __future__ import annotations

import hmac
import logging
import platform
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
from theodolite.metrics.catalog import (
    APP_NAMESPACE,
    MetricSpec,
    MetricType,
    app_metric_name,
    check_app_namespace,
    get_metric,
)
from theodolite.model import is_provider_call

log = logging.getLogger("theodolite")

OK, ERROR = "ok", "error"
# The words that mean a call succeeded: `success`, which many applications write, and the server's
# `ok`. Any other status (error, failure, timeout, an exception's name...) is an error, so that the
# label stays bounded and every dashboard and alert selects `status="error"` alone.
SUCCESS_WORDS = frozenset({"ok", "success"})


def normalise_status(status: str | None) -> str:
    """`ok` for None, `ok`, `success` (any case); `error` for anything else."""
    return OK if status is None or str(status).strip().lower() in SUCCESS_WORDS else ERROR


class LLMMetrics:
    """Counters, histograms and gauges of an LLM application, on a registry of its own.

    Every method is thread-safe (prometheus_client's metrics are) and never blocks on I/O;
    `track_llm_call` may price a call from the price table (a lookup in memory)."""

    def __init__(self, *, namespace: str = APP_NAMESPACE, project: str = "", provider: str = "", version: str = "",
                 trace: bool = True, registry: CollectorRegistry | None = None,
                 price: Callable[..., Decimal | None] | None = None) -> None:  # fmt: skip
        self.namespace = check_app_namespace(namespace)
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.project, self.provider, self.trace = project, provider, trace
        self._price = price if price is not None else _price_from_table
        self.requests = self._metric("app_llm_requests_total")
        self.tokens = self._metric("app_llm_tokens_total")
        self.cost = self._metric("app_llm_cost_usd_total")
        self.cost_saved = self._metric("app_llm_cost_saved_usd_total")
        self.unpriced = self._metric("app_llm_requests_unpriced_total")
        self.duration = self._metric("app_llm_request_duration_seconds")
        self.active = self._metric("app_llm_active_requests")
        self.cache_lookups = self._metric("app_llm_cache_lookups_total")
        self.http_requests = self._metric("app_http_requests_total")
        self.http_duration = self._metric("app_http_request_duration_seconds")
        self.db_connections = self._metric("app_db_connections_active")
        self.db_duration = self._metric("app_db_query_duration_seconds")
        self.db_queries = self._metric("app_db_queries_total")
        self.active_users = self._metric("app_active_users")
        self.questions = self._metric("app_questions_total")
        self.revenue = self._metric("app_revenue_usd_total")
        self.errors = self._metric("app_errors_total")
        self.uptime = self._metric("app_uptime_seconds")
        self.system_info = self._metric("app_system_info")
        # process_cpu_seconds_total, process_resident_memory_bytes, process_start_time_seconds...
        ProcessCollector(registry=self.registry)
        started = _process_start_time()
        self.uptime.set_function(lambda: time.time() - started)
        self.system_info.labels(version, __version__, platform.python_version()).set(1)

    def _metric(self, catalog_name: str) -> Any:
        """The catalog's entry, under this instance's namespace: one source for names, help,
        labels and buckets (a test compares the exposition with the catalog)."""
        spec: MetricSpec = get_metric(catalog_name)
        name = app_metric_name(spec.family, self.namespace)
        if spec.type is MetricType.COUNTER:
            return Counter(name, spec.help, spec.labels, registry=self.registry)
        if spec.type is MetricType.HISTOGRAM:
            return Histogram(name, spec.help, spec.labels, buckets=spec.buckets, registry=self.registry)
        return Gauge(name, spec.help, spec.labels, registry=self.registry)

    # --- LLM calls ---------------------------------------------------------------------------
    def track_llm_call(
        self,
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
        """Count one LLM call (the arguments of the hand-written `track_llm_call` helpers
        teams already call).

        `status`: `ok` or `success` count as `ok`, anything else as `error` (the word itself goes
        to the trace). Without `cost_usd` the cost comes from the price table (when genai-prices is
        installed: `pip install "theodolite[prices]"`); an unknown price is counted as unpriced,
        never as $0. A call the provider did not bill (`source="cache"` or `"fallback_<kind>"`)
        adds $0 to the cost and what it would have cost to `<ns>_llm_cost_saved_usd_total`.
        With tracing configured the call is also recorded as a generation in the current trace
        (`trace=False`, or `LLMMetrics(trace=False)`, to skip); the server counts it under its own
        names, never these."""
        provider = provider if provider is not None else self.provider
        labels = (self.project, model, provider, feature, source)
        outcome = normalise_status(status)
        self.requests.labels(*labels, outcome).inc()
        for token_type, count in (("prompt", prompt_tokens), ("completion", completion_tokens)):
            if count:
                self.tokens.labels(*labels, token_type).inc(count)
        if duration is not None:
            self.duration.labels(*labels).observe(duration)
        billed = is_provider_call(source)
        priced = cost_usd
        if priced is None and (prompt_tokens or completion_tokens):
            priced = self._price(model, provider, prompt_tokens, completion_tokens)
            if priced is None and billed:
                self.unpriced.labels(self.project, model, provider).inc()
        if billed:
            if priced is not None:
                self.cost.labels(*labels).inc(float(priced))
        else:
            self.cost.labels(*labels).inc(0)  # not billed: $0 by definition, and a series that says so
            if priced is not None:
                self.cost_saved.labels(*labels).inc(float(priced))
        if self.trace if trace is None else trace:
            reported = cost_usd if billed else None
            _trace_generation(model, provider, feature, prompt_tokens, completion_tokens, duration, status, outcome,
                              source, reported)  # fmt: skip

    @contextmanager
    def active_generation(self, model: str) -> Iterator[None]:
        """Count an LLM call as in flight for the duration of the block."""
        gauge = self.active.labels(self.project, model)
        gauge.inc()
        try:
            yield
        finally:
            gauge.dec()

    def track_cache_lookup(self, hit: bool, feature: str = "") -> None:
        self.cache_lookups.labels(self.project, feature, "hit" if hit else "miss").inc()

    # --- HTTP and database -------------------------------------------------------------------
    def track_http_request(self, method: str, endpoint: str, status: int | str, duration: float) -> None:
        """One HTTP request served. `endpoint` should be the route template, not the raw path."""
        self.http_requests.labels(method.upper(), endpoint, str(status)).inc()
        self.http_duration.labels(method.upper(), endpoint).observe(duration)

    def track_db_query(self, operation: str, table: str, duration: float, status: str = OK) -> None:
        """One database query (`status` as for LLM calls: ok/success, else error)."""
        self.db_queries.labels(operation, table, normalise_status(status)).inc()
        self.db_duration.labels(operation, table).observe(duration)

    @contextmanager
    def time_db_query(self, operation: str, table: str = "") -> Iterator[None]:
        """Time the block as one query; an exception leaving it counts as an error (and propagates)."""
        started = time.perf_counter()
        status = OK
        try:
            yield
        except BaseException:
            status = ERROR
            raise
        finally:
            self.track_db_query(operation, table, time.perf_counter() - started, status)

    def set_db_connections(self, pool: str, active: int) -> None:
        self.db_connections.labels(pool).set(active)

    # --- business and health -----------------------------------------------------------------
    def set_active_users(self, count: int) -> None:
        self.active_users.set(count)

    def track_question(self, source: str, language: str) -> None:
        self.questions.labels(source, language).inc()

    def track_revenue(self, plan: str, amount_usd: float | Decimal) -> None:
        self.revenue.labels(plan).inc(float(amount_usd))

    def track_error(self, type: str, severity: str = "error") -> None:  # noqa: A002 (the label's name)
        self.errors.labels(type, severity).inc()

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


def _process_start_time() -> float:
    """When this process started (Linux: from /proc, as process_start_time_seconds); elsewhere the
    first time an LLMMetrics was made, the nearest thing the standard library knows."""
    for metric in ProcessCollector(registry=None).collect():
        if metric.name == "process_start_time_seconds" and metric.samples:
            return metric.samples[0].value
    return _IMPORTED_AT


_IMPORTED_AT = time.time()


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
                      duration: float | None, status: str | None, outcome: str, source: str,
                      reported_cost_usd: float | Decimal | None) -> None:  # fmt: skip
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
        if reported_cost_usd is not None:  # kept by the server as the client's cost, beside its own
            attributes["gen_ai.usage.cost"] = float(reported_cost_usd)
        if outcome == ERROR:
            record.error = str(status)  # the original word (timeout, RateLimitError...), which no label keeps
            attributes["theodolite.observation.level"] = "ERROR"
        end_record(client, record)
    except Exception:  # noqa: BLE001
        log.exception("theodolite: tracing a tracked LLM call failed")
