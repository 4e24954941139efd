"""theodolite.metrics: what track_llm_call & co. expose, checked by promtool and over ASGI/WSGI."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from decimal import Decimal

import httpx
import prometheus_client
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

import theodolite
from tests.sdk.conftest import fetch_trace
from tests.support.server import SECRET_KEY, TheodoliteServer
from theodolite.metrics import LLMMetrics


def samples(metrics: LLMMetrics) -> dict[tuple[str, tuple], float]:
    text = generate_latest(metrics.registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip


def value(found: dict, metric: str, /, **labels: str) -> float:
    return found[(metric, tuple(sorted(labels.items())))]


def test_llm_calls_are_counted_priced_and_timed() -> None:
    metrics = LLMMetrics(project="bot", provider="openai", version="1.4.2")
    metrics.track_llm_call("gpt-4o-mini", "summarise", 812, 95, duration=1.42, trace=False)
    metrics.track_llm_call("gpt-4o-mini", "summarise", 100, 10, cost_usd=Decimal("0.5"), duration=0.3, trace=False)
    metrics.track_llm_call("gpt-4o-mini", "summarise", 0, 0, duration=0.001, source="cache", trace=False)
    metrics.track_llm_call("acme-ft", "summarise", 10, 10, status="error", trace=False)
    with metrics.active_generation("gpt-4o-mini"):
        inside = value(samples(metrics), "theodolite_active_generations", project="bot", model="gpt-4o-mini")
    found = samples(metrics)
    base = {"project": "bot", "model": "gpt-4o-mini", "provider": "openai", "name": "summarise"}
    assert value(found, "theodolite_generations_total", **base, source="provider", status="success") == 2
    assert value(found, "theodolite_generations_total", **base, source="cache", status="success") == 1
    assert value(found, "theodolite_tokens_total", **base, source="provider", token_type="input") == 912
    # 812 x $0.15 + 95 x $0.60 per million (genai-prices) = 0.0001788, plus the reported $0.5
    assert value(found, "theodolite_cost_usd_total", **base, source="provider") == pytest.approx(0.5001788)
    assert value(found, "theodolite_generations_unpriced_total", project="bot", model="acme-ft", provider="openai") == 1
    assert value(found, "gen_ai_client_operation_duration_seconds_count", **base, source="provider",
                 status="success") == 2  # fmt: skip
    assert value(found, "gen_ai_client_token_usage_bucket", project="bot", model="gpt-4o-mini", provider="openai",
                 token_type="input", le="1024.0") == 2  # fmt: skip
    assert inside == 1 and value(found, "theodolite_active_generations", project="bot", model="gpt-4o-mini") == 0
    assert value(found, "theodolite_build_info", version=theodolite.__version__, app_version="1.4.2") == 1


def test_application_helpers_and_an_owned_registry() -> None:
    metrics = LLMMetrics()
    metrics.track_http_request("get", "/answer", 200, 0.12)
    with pytest.raises(RuntimeError), metrics.time_db_query("insert"):
        raise RuntimeError("db down")
    metrics.count_event("signup", 3)
    metrics.count_error("timeout")
    metrics.track_cache_lookup(hit=True, feature="faq")
    found = samples(metrics)
    assert value(found, "theodolite_http_requests_total", method="GET", endpoint="/answer", status="200") == 1
    assert value(found, "theodolite_db_query_duration_seconds_count", operation="insert", status="error") == 1
    assert value(found, "theodolite_business_events_total", event="signup") == 3
    assert value(found, "theodolite_app_errors_total", kind="timeout") == 1
    assert value(found, "theodolite_cache_lookups_total", project="", name="faq", result="hit") == 1
    assert "theodolite_generations_total" not in generate_latest(prometheus_client.REGISTRY).decode()


def test_promtool_accepts_the_exposition() -> None:
    assert shutil.which("promtool"), "promtool is missing: ./scripts/test installs it (apt package prometheus)"
    metrics = LLMMetrics(project="bot")
    metrics.track_llm_call("gpt-4o-mini", "summarise", 812, 95, duration=1.42, trace=False)
    metrics.track_http_request("POST", "/chat", 500, 2.0)
    with metrics.time_db_query("select"):
        pass
    result = subprocess.run(["promtool", "check", "metrics"], input=generate_latest(metrics.registry),
                            capture_output=True, timeout=30)  # fmt: skip
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


def test_asgi_and_wsgi_apps_with_a_bearer_token() -> None:
    metrics = LLMMetrics()
    metrics.count_event("ping")

    async def scrape(headers: dict) -> httpx.Response:
        transport = httpx.ASGITransport(app=metrics.asgi_app(token="s3cret"))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.get("/", headers=headers)

    assert asyncio.run(scrape({})).status_code == 401
    assert asyncio.run(scrape({"Authorization": "Bearer wrong"})).status_code == 401
    ok = asyncio.run(scrape({"Authorization": "Bearer s3cret"}))
    assert ok.status_code == 200 and "theodolite_business_events_total" in ok.text
    with httpx.Client(transport=httpx.WSGITransport(app=metrics.wsgi_app(token="s3cret")), base_url="http://a") as c:
        assert c.get("/").status_code == 401
        assert "theodolite_business_events_total" in c.get("/", headers={"Authorization": "Bearer s3cret"}).text
    with httpx.Client(transport=httpx.WSGITransport(app=metrics.wsgi_app()), base_url="http://a") as c:
        assert c.get("/").status_code == 200


def test_one_call_feeds_metrics_and_the_trace(sdk_server: TheodoliteServer) -> None:
    theodolite.configure(endpoint=sdk_server.base_url, api_key=SECRET_KEY, strict=True, flush_interval_s=0.1)
    metrics = LLMMetrics(project="bot", provider="openai")
    with theodolite.span("request") as root:
        metrics.track_llm_call("gpt-4o-mini", "summarise", 812, 95, duration=1.5, source="fallback_template")
    assert theodolite.flush(10)
    [request] = fetch_trace(sdk_server, root.trace_id)["observations"]
    [call] = request["children"]
    assert (call["type"], call["name"], call["model"], call["source"]) == ("generation", "summarise", "gpt-4o-mini",
                                                                          "fallback_template")  # fmt: skip
    assert (call["prompt_tokens"], call["completion_tokens"]) == (812, 95)
    theodolite.shutdown(5)


def test_everything_the_sdk_exposes_is_in_the_catalog() -> None:
    from theodolite.metrics.catalog import find_metric

    metrics = LLMMetrics(project="bot", version="1")
    metrics.track_llm_call("gpt-4o-mini", "summarise", 10, 5, duration=0.5, trace=False)
    metrics.track_llm_call("acme", "summarise", 10, 5, trace=False)
    with metrics.active_generation("gpt-4o-mini"), metrics.time_db_query("select"):
        metrics.track_http_request("GET", "/", 200, 0.1)
        metrics.count_event("signup")
        metrics.count_error("timeout")
        metrics.track_cache_lookup(hit=False)
    text = generate_latest(metrics.registry).decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            spec = find_metric(sample.name)
            assert spec is not None, f"{sample.name} is not in theodolite/metrics/catalog.py"
            assert set(sample.labels) - {"le"} == set(spec.labels), (sample.name, sample.labels, spec.labels)
