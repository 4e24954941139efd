"""theodolite.metrics: what track_llm_call & co. expose (names, labels, statuses, costs), the
module-level default, checked against the catalog, by promtool and over ASGI/WSGI."""

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
import theodolite.metrics
from tests.sdk.conftest import fetch_trace
from tests.support.server import SECRET_KEY, TheodoliteServer
from theodolite.metrics import LLMMetrics
from theodolite.metrics.catalog import METRICS, SERVER_PREFIXES, app_metric_name, find_metric


def samples(metrics: LLMMetrics) -> dict[tuple[str, tuple], float]:
    text = generate_latest(metrics.registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip


def value(found: dict, metric: str, /, **labels: str) -> float:
    return found[(metric, tuple(sorted(labels.items())))]


def names(found: dict) -> set[str]:
    return {name for name, _ in found}


@pytest.fixture
def fresh_default() -> LLMMetrics:
    """A default LLMMetrics of this test's own (the module-level functions count into it)."""
    metrics = LLMMetrics(trace=False)
    theodolite.metrics.set_default_metrics(metrics)
    yield metrics
    theodolite.metrics.set_default_metrics(None)


def test_llm_calls_are_counted_priced_and_timed() -> None:
    metrics = LLMMetrics(project="bot", provider="openai", version="1.4.2", trace=False)
    metrics.track_llm_call("gpt-4o-mini", "summarise", 812, 95, duration=1.42)
    metrics.track_llm_call("gpt-4o-mini", "summarise", 100, 10, cost_usd=Decimal("0.5"), duration=0.3)
    metrics.track_llm_call("acme-ft", "summarise", 10, 10, status="error")
    with metrics.active_generation("gpt-4o-mini"):
        inside = value(samples(metrics), "app_llm_active_requests", project="bot", model="gpt-4o-mini")
    found = samples(metrics)
    base = {"project": "bot", "model": "gpt-4o-mini", "provider": "openai", "feature": "summarise"}
    assert value(found, "app_llm_requests_total", **base, source="provider", status="ok") == 2
    assert value(found, "app_llm_tokens_total", **base, source="provider", type="prompt") == 912
    assert value(found, "app_llm_tokens_total", **base, source="provider", type="completion") == 105
    # 812 x $0.15 + 95 x $0.60 per million (genai-prices) = 0.0001788, plus the reported $0.5
    assert value(found, "app_llm_cost_usd_total", **base, source="provider") == pytest.approx(0.5001788)
    assert value(found, "app_llm_requests_unpriced_total", project="bot", model="acme-ft", provider="openai") == 1
    assert value(found, "app_llm_request_duration_seconds_count", **base, source="provider") == 2
    assert value(found, "app_llm_request_duration_seconds_bucket", **base, source="provider", le="1.28") == 1
    assert inside == 1 and value(found, "app_llm_active_requests", project="bot", model="gpt-4o-mini") == 0
    assert value(found, "app_system_info", app_version="1.4.2", theodolite_version=theodolite.__version__,
                 python_version=__import__("platform").python_version()) == 1  # fmt: skip
    assert 0 <= value(found, "app_uptime_seconds") < 24 * 3600


def test_no_name_is_the_servers() -> None:
    """The rule: an application's metrics never share a name with the server's, so that a sum over
    every scraped job cannot add the application's count of a call to the server's."""
    metrics = LLMMetrics(project="bot", trace=False)
    metrics.track_llm_call("gpt-4o-mini", "summarise", 10, 5, duration=0.5)
    emitted = names(samples(metrics))
    assert not [name for name in emitted if name.startswith(SERVER_PREFIXES)], emitted
    for spec in METRICS:
        assert (spec.emitted_by != "server") == spec.name.startswith(("app_", "process_")), spec.name
    for bad in ("theodolite", "gen_ai", "theodolite_app", "9lives", "my-app", ""):
        with pytest.raises(ValueError, match="namespace"):
            LLMMetrics(namespace=bad)


def test_statuses_are_ok_or_error() -> None:
    metrics = LLMMetrics(trace=False)
    for status in ("success", "ok", "OK", "Success"):
        metrics.track_llm_call("m", "chat", 1, 1, status=status)
    for status in ("error", "failure", "timeout", "RateLimitError", ""):
        metrics.track_llm_call("m", "chat", 1, 1, status=status)
    metrics.track_db_query("select", "users", 0.01, status="success")
    with pytest.raises(RuntimeError), metrics.time_db_query("insert", "questions"):
        raise RuntimeError("db down")
    found = samples(metrics)
    statuses = {dict(labels)["status"]: v for name, labels in found if name == "app_llm_requests_total"
                for v in [found[(name, labels)]]}  # fmt: skip
    assert statuses == {"ok": 4, "error": 5}
    assert value(found, "app_db_queries_total", operation="select", table="users", status="ok") == 1
    assert value(found, "app_db_queries_total", operation="insert", table="questions", status="error") == 1


def test_a_call_the_provider_did_not_bill_costs_nothing_and_saves_its_price() -> None:
    metrics = LLMMetrics(provider="openai", trace=False)
    metrics.track_llm_call("gpt-4o-mini", "faq", 812, 95, source="cache")
    metrics.track_llm_call("gpt-4o-mini", "faq", 812, 95, cost_usd=0.25, source="fallback_template")
    metrics.track_llm_call("acme-ft", "faq", 10, 10, source="fallback_hardcoded")  # unknown price: nothing saved
    found = samples(metrics)
    base = {"project": "", "model": "gpt-4o-mini", "provider": "openai", "feature": "faq"}
    assert value(found, "app_llm_cost_usd_total", **base, source="cache") == 0
    assert value(found, "app_llm_cost_usd_total", **base, source="fallback_template") == 0
    assert value(found, "app_llm_cost_saved_usd_total", **base, source="cache") == pytest.approx(0.0001788)
    assert value(found, "app_llm_cost_saved_usd_total", **base, source="fallback_template") == 0.25
    assert "app_llm_requests_unpriced_total" not in names(found)


def test_the_module_level_api_and_the_facade(fresh_default: LLMMetrics) -> None:
    from theodolite.metrics import track_http_request, track_llm_call

    assert theodolite.track_llm_call is track_llm_call and theodolite.track_http_request is track_http_request
    track_llm_call(model="gpt-4o", feature="nouvelle_feature", prompt_tokens=1000, completion_tokens=500,
                   cost_usd=0.015, duration=2.5, status="success")  # fmt: skip
    track_http_request(method="POST", endpoint="/api/v1/nouvelle-route", status=200, duration=0.5)
    theodolite.metrics.set_db_connections("main", 7)
    theodolite.metrics.track_db_query("select", "users", 0.02)
    theodolite.metrics.set_active_users(42)
    theodolite.metrics.track_question("web", "fr")
    theodolite.metrics.track_revenue("pro", 29.0)
    theodolite.metrics.track_error("llm_timeout", "critical")
    theodolite.metrics.track_cache_lookup(hit=True, feature="faq")
    with theodolite.metrics.time_db_query("insert", "questions"), theodolite.metrics.active_generation("gpt-4o"):
        pass
    assert theodolite.metrics.get_metrics() is fresh_default
    found = samples(fresh_default)
    llm = {"project": "", "model": "gpt-4o", "provider": "", "feature": "nouvelle_feature", "source": "provider"}
    assert value(found, "app_llm_requests_total", **llm, status="ok") == 1
    assert value(found, "app_llm_tokens_total", **llm, type="completion") == 500
    assert value(found, "app_llm_cost_usd_total", **llm) == 0.015
    assert value(found, "app_llm_request_duration_seconds_sum", **llm) == 2.5
    assert value(found, "app_http_requests_total", method="POST", endpoint="/api/v1/nouvelle-route", status="200") == 1
    assert value(found, "app_db_connections_active", pool="main") == 7
    assert value(found, "app_db_queries_total", operation="insert", table="questions", status="ok") == 1
    assert value(found, "app_db_query_duration_seconds_count", operation="select", table="users") == 1
    assert value(found, "app_active_users") == 42
    assert value(found, "app_questions_total", source="web", language="fr") == 1
    assert value(found, "app_revenue_usd_total", plan="pro") == 29
    assert value(found, "app_errors_total", type="llm_timeout", severity="critical") == 1
    assert value(found, "app_llm_cache_lookups_total", project="", feature="faq", result="hit") == 1


def test_the_default_is_created_on_first_use() -> None:
    theodolite.metrics.set_default_metrics(None)
    try:
        assert theodolite.metrics.default_metrics() is None
        theodolite.metrics.track_http_request("GET", "/", 200, 0.1)
        created = theodolite.metrics.default_metrics()
        assert created is not None and created is theodolite.metrics.get_metrics() and created.namespace == "app"
        assert value(samples(created), "app_http_requests_total", method="GET", endpoint="/", status="200") == 1
    finally:
        theodolite.metrics.set_default_metrics(None)


def test_a_namespace_gives_a_team_its_own_names_back() -> None:
    """LLMMetrics(namespace="acme") exposes exactly the names a team's existing dashboards and
    alerts read (acme_llm_cost_usd_total{model, feature}, ...)."""
    metrics = LLMMetrics(namespace="acme", trace=False)
    metrics.track_llm_call("gpt-4o", "chat", 1000, 500, cost_usd=0.015, duration=2.5, status="success")
    metrics.track_http_request("POST", "/api/v1/chat", 200, 0.5)
    metrics.track_db_query("select", "users", 0.01)
    metrics.set_db_connections("main", 3)
    metrics.track_question("web", "fr")
    metrics.track_revenue("pro", 10)
    metrics.track_error("timeout", "error")
    emitted = names(samples(metrics))
    expected = {"acme_llm_tokens_total", "acme_llm_cost_usd_total", "acme_llm_requests_total",
                "acme_llm_request_duration_seconds_bucket", "acme_http_requests_total",
                "acme_http_request_duration_seconds_bucket", "acme_db_connections_active",
                "acme_db_query_duration_seconds_bucket", "acme_db_queries_total", "acme_active_users",
                "acme_questions_total", "acme_revenue_usd_total", "acme_errors_total",
                "acme_uptime_seconds", "acme_system_info"}  # fmt: skip
    assert expected <= emitted, expected - emitted
    assert not [name for name in emitted if name.startswith("app_")]
    found = samples(metrics)
    assert value(found, "acme_llm_tokens_total", project="", model="gpt-4o", provider="", feature="chat",
                 source="provider", type="prompt") == 1000  # fmt: skip
    assert app_metric_name("app_llm_cost_usd_total", "acme") == "acme_llm_cost_usd_total"
    assert app_metric_name("process_cpu_seconds_total", "acme") == "process_cpu_seconds_total"


def test_promtool_accepts_the_exposition() -> None:
    assert shutil.which("promtool"), "promtool is missing: ./scripts/test installs it (apt package prometheus)"
    metrics = LLMMetrics(project="bot", trace=False)
    metrics.track_llm_call("gpt-4o-mini", "summarise", 812, 95, duration=1.42)
    metrics.track_llm_call("gpt-4o-mini", "summarise", 812, 95, source="cache")
    metrics.track_http_request("POST", "/chat", 500, 2.0)
    metrics.track_revenue("pro", 10)
    with metrics.time_db_query("select", "users"):
        pass
    result = subprocess.run(["promtool", "check", "metrics"], input=generate_latest(metrics.registry),
                            capture_output=True, timeout=30)  # fmt: skip
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


def test_asgi_and_wsgi_apps_with_a_bearer_token(fresh_default: LLMMetrics) -> None:
    theodolite.metrics.track_question("web", "en")

    async def scrape(headers: dict) -> httpx.Response:
        transport = httpx.ASGITransport(app=theodolite.metrics.asgi_app(token="s3cret"))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.get("/", headers=headers)

    assert asyncio.run(scrape({})).status_code == 401
    assert asyncio.run(scrape({"Authorization": "Bearer wrong"})).status_code == 401
    ok = asyncio.run(scrape({"Authorization": "Bearer s3cret"}))
    assert ok.status_code == 200 and "app_questions_total" in ok.text
    wsgi = theodolite.metrics.wsgi_app(token="s3cret")
    with httpx.Client(transport=httpx.WSGITransport(app=wsgi), base_url="http://a") as c:
        assert c.get("/").status_code == 401
        assert "app_questions_total" in c.get("/", headers={"Authorization": "Bearer s3cret"}).text
    with httpx.Client(transport=httpx.WSGITransport(app=fresh_default.wsgi_app()), base_url="http://a") as c:
        assert c.get("/").status_code == 200
    assert "app_questions_total" not in generate_latest(prometheus_client.REGISTRY).decode()


def test_one_call_feeds_metrics_and_the_trace(sdk_server: TheodoliteServer) -> None:
    theodolite.configure(endpoint=sdk_server.base_url, api_key=SECRET_KEY, strict=True, flush_interval_s=0.1)
    metrics = LLMMetrics(project="bot", provider="openai")
    with theodolite.span("request") as root:
        metrics.track_llm_call("gpt-4o-mini", "summarise", 812, 95, duration=1.5, source="fallback_template")
        metrics.track_llm_call("gpt-4o-mini", "answer", 10, 5, cost_usd=0.02, duration=0.2, status="timeout")
    assert theodolite.flush(10)
    [request] = fetch_trace(sdk_server, root.trace_id)["observations"]
    fallback, failed = sorted(request["children"], key=lambda call: call["name"] != "summarise")
    assert (fallback["type"], fallback["name"], fallback["model"], fallback["source"]) == (
        "generation", "summarise", "gpt-4o-mini", "fallback_template")  # fmt: skip
    assert (fallback["prompt_tokens"], fallback["completion_tokens"]) == (812, 95)
    # the failure's own word is kept in the trace, the metric says `error`
    assert failed["level"] == "ERROR" and failed["status_message"] == "timeout", failed
    assert value(samples(metrics), "app_llm_requests_total", project="bot", model="gpt-4o-mini", provider="openai",
                 feature="answer", source="provider", status="error") == 1  # fmt: skip
    theodolite.shutdown(5)


def test_everything_the_sdk_exposes_is_in_the_catalog() -> None:
    metrics = LLMMetrics(project="bot", version="1", trace=False)
    metrics.track_llm_call("gpt-4o-mini", "summarise", 10, 5, duration=0.5)
    metrics.track_llm_call("gpt-4o-mini", "summarise", 10, 5, source="cache")
    metrics.track_llm_call("acme", "summarise", 10, 5)
    with metrics.active_generation("gpt-4o-mini"), metrics.time_db_query("select", "users"):
        metrics.track_http_request("GET", "/", 200, 0.1)
        metrics.set_db_connections("main", 1)
        metrics.set_active_users(1)
        metrics.track_question("web", "fr")
        metrics.track_revenue("pro", 1)
        metrics.track_error("timeout")
        metrics.track_cache_lookup(hit=False)
    text = generate_latest(metrics.registry).decode()
    seen = set()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            spec = find_metric(sample.name)
            assert spec is not None and spec.emitted_by != "server", f"{sample.name} is not in the catalog as an app's"
            assert set(sample.labels) - {"le"} == set(spec.labels), (sample.name, sample.labels, spec.labels)
            seen.add(spec.name)
    assert seen == {spec.name for spec in METRICS if spec.emitted_by != "server"}
