"""An application with its own /metrics (theodolite.metrics, tracing on) and the server it traces
to, both scraped by a real Prometheus: every cost and request expression of the shipped
dashboards counts one call once (the application's and the server's counts are never summed),
and a call the application calls `success` is `ok` on both sides, so the error rates agree."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
import yaml

import theodolite
from tests.alerts.test_prometheus_end_to_end import start
from tests.support.server import SECRET_KEY, TheodoliteServer, free_port
from theodolite.alerts.rules import alert_rules
from theodolite.grafana.export import DASHBOARDS, dashboard_json
from theodolite.metrics import LLMMetrics
from theodolite.metrics.catalog import origin

DEADLINE_S = 60
SCRAPE_TOKEN = "scrape-s3cret"
# What one call of each kind is worth per origin: the application passes the cost its own code
# computed ($0.015, as its team did by hand); the server prices the trace from its table
# (gpt-4o: 1000 x $2.50 + 500 x $10 per million = $0.0075). Summed, one call would read $0.0225.
COST = {"server": 0.0075, "sdk": 0.015}
COST_METRICS = {"theodolite_cost_usd_total", "app_llm_cost_usd_total"}
REQUEST_METRICS = {"theodolite_generations_total", "app_llm_requests_total"}
VARIABLES = {"$interval": "5m", "$model": ".*", "$job": ".*", "$project": ".*"}
METRIC_NAME = re.compile(r"\b(?:theodolite|gen_ai|app|process|http_server)_[a-z_]+")


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def application() -> Iterator[tuple[LLMMetrics, int]]:
    """The application: LLMMetrics with tracing on, its /metrics behind a bearer token on 127.0.0.1."""
    metrics = LLMMetrics(provider="openai", trace=True)
    server = make_server("127.0.0.1", 0, metrics.wsgi_app(token=SCRAPE_TOKEN), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield metrics, server.server_address[1]
    server.shutdown()
    thread.join(10)


class Prometheus:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/api/v1/query"

    def query(self, expr: str) -> list[dict]:
        body = httpx.get(self.url, params={"query": expr}, timeout=10).json()
        assert body["status"] == "success", (expr, body)
        return body["data"]["result"]

    def value(self, expr: str) -> float | None:
        """The sum of an instant vector (None when it is empty)."""
        result = self.query(expr)
        return sum(float(series["value"][1]) for series in result) if result else None

    def wait_for(self, expr: str, at_least: float) -> None:
        """Poll until `expr` evaluates to `at_least` or more (a scrape a second), with a deadline."""
        deadline = time.monotonic() + DEADLINE_S
        while (seen := self.value(expr)) is None or seen < at_least:
            assert time.monotonic() < deadline, f"{expr} is {seen}, not {at_least}"
            time.sleep(0.2)  # polling Prometheus' API with a deadline


def track(metrics: LLMMetrics) -> None:
    """One successful call, tracked with the argument names applications use by hand, and one that timed out."""
    metrics.track_llm_call(model="gpt-4o", feature="chat", prompt_tokens=1000, completion_tokens=500, cost_usd=0.015,
                           duration=2.5, status="success")  # fmt: skip
    metrics.track_llm_call(model="gpt-4o", feature="chat", duration=30.0, status="timeout")
    assert theodolite.flush(10)


def shipped_expressions() -> Iterator[tuple[str, str, str]]:
    for file, build in DASHBOARDS.items():
        for panel in dashboard_json(build)["panels"]:
            for target in panel.get("targets", []):
                expr = target.get("expr")
                if expr:
                    for variable, value in VARIABLES.items():
                        expr = expr.replace(variable, value)
                    yield file, panel["title"], expr


def test_one_call_counts_once_and_statuses_agree(tmp_path: Path, application: tuple[LLMMetrics, int]) -> None:
    metrics, app_port = application
    server = TheodoliteServer(f"sqlite:///{tmp_path / 'theodolite.db'}", tmp_path).start()
    prometheus_process = None
    try:
        theodolite.configure(endpoint=server.base_url, api_key=SECRET_KEY, strict=True, flush_interval_s=0.1)
        prom_port = free_port()
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [
                {"job_name": "theodolite", "static_configs": [{"targets": [f"127.0.0.1:{server.port}"]}]},
                {"job_name": "app", "authorization": {"type": "Bearer", "credentials": SCRAPE_TOKEN},
                 "static_configs": [{"targets": [f"127.0.0.1:{app_port}"]}]},
            ],
        }))  # fmt: skip
        prometheus_process = start(
            ["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            tmp_path / "prometheus.log", f"http://127.0.0.1:{prom_port}/-/ready")  # fmt: skip
        prometheus = Prometheus(prom_port)

        # A counter's first sample has nothing before it for increase() to measure from, so a first
        # pair of calls makes the series exist; the checks measure the second pair.
        track(metrics)
        prometheus.wait_for("sum(app_llm_requests_total)", 2)
        prometheus.wait_for("sum(theodolite_generations_total)", 2)
        prometheus.wait_for("min(count_over_time(theodolite_cost_usd_total[1m]))", 5)
        track(metrics)
        prometheus.wait_for("sum(app_llm_requests_total)", 4)
        prometheus.wait_for("sum(theodolite_generations_total)", 4)
        # a longer stretch of samples, so that increase()'s extrapolation to the window's edges
        # (up to ~1.5 scrape intervals over the stretch) moves a value by under 15 %
        prometheus.wait_for("min(count_over_time(theodolite_cost_usd_total[1m]))", 15)
        prometheus.wait_for("min(count_over_time(app_llm_cost_usd_total[1m]))", 15)
        # the raw totals: the server priced two calls, the application counted the cost it was given
        assert prometheus.value('sum(theodolite_cost_usd_total{job="theodolite"})') == pytest.approx(2 * 0.0075)
        assert prometheus.value('sum(app_llm_cost_usd_total{job="app"})') == pytest.approx(2 * 0.015)

        # One vocabulary: `success` from the application and a successful span are both `ok`.
        for metric in ("app_llm_requests_total", "theodolite_generations_total"):
            by_status = {r["metric"]["status"]: float(r["value"][1]) for r in
                         prometheus.query(f"sum by (status) ({metric})")}  # fmt: skip
            assert by_status == {"ok": 2, "error": 2}, (metric, by_status)

        checked = {"cost": 0, "requests": 0, "errors": 0}
        for file, title, expr in shipped_expressions():
            names = set(METRIC_NAME.findall(expr))
            if not names or 'source="cache"' in expr or "fallback" in expr:  # no such calls here
                continue
            sides = {origin(name) for name in names} - {"both"}  # process_*: told apart by the job
            if len(sides) != 1:
                continue
            [side] = sides
            value = prometheus.value(expr)
            # within 30 % for increase()'s extrapolation; a double count would be 2x (requests) or 3x (cost)
            if names <= COST_METRICS and "/" not in expr:
                assert value == pytest.approx(COST[side], rel=0.3), (file, title, expr, value)
                checked["cost"] += 1
            elif names <= REQUEST_METRICS and "increase(" in expr and "/" not in expr:
                assert value == pytest.approx(2, rel=0.3), (file, title, expr, value)
                checked["requests"] += 1
            elif names <= REQUEST_METRICS and 'status="error"' in expr:
                # every error-rate panel, the server's and the application's: 1 failed call in 2
                share = 1 - value if title.startswith("Success rate") else value
                assert share == pytest.approx(0.5, rel=0.3), (file, title, expr, value)
                checked["errors"] += 1
        # the rules agree too: the server's error-rate rule sees 1 failed generation in 2
        [error_rule] = [rule for rule in alert_rules() if rule.name == "LLMErrorRateHigh"]
        assert prometheus.value(error_rule.expr) == pytest.approx(0.5, rel=0.3)
        assert checked["cost"] >= 5 and checked["requests"] >= 3 and checked["errors"] >= 3, checked
    finally:
        theodolite.shutdown(5)
        if prometheus_process is not None:
            prometheus_process.terminate()
            prometheus_process.wait(10)
        server.stop()
