"""GET /metrics: derived from committed traces, every metric in the catalog and nothing else,
bounded labels, optional bearer token, accepted by promtool."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.otel import protobuf_exporter, provider_with, send_reference_trace
from tests.support.server import SECRET_KEY, TheodoliteServer
from tests.support.spans import llm_body, post
from theodolite.metrics.catalog import METRICS, find_metric


def scrape(server: TheodoliteServer, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{server.base_url}/metrics", headers=headers, timeout=30)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip


def total(found: dict, metric: str, /, **labels: str) -> float:
    """Sum of the samples of `metric` whose labels include `labels`."""
    return sum(value for (name, keys), value in found.items()
               if name == metric and labels.items() <= dict(keys).items())  # fmt: skip


def representative_ingest(server: TheodoliteServer) -> None:
    provider = provider_with(protobuf_exporter(server.base_url + "/v1/traces", SECRET_KEY))
    send_reference_trace(provider)
    provider.shutdown()
    post(server, llm_body("gpt-4o-mini"))
    post(server, llm_body("gpt-4o-mini", source="cache"))
    post(server, llm_body("acme-unknown-7b", error=True))
    with server.client() as client:
        trace_id = client.get("/api/v1/traces").json()["data"][0]["id"]
        assert client.post("/api/v1/scores", json={"scores": [{"trace_id": trace_id, "name": "helpful",
                                                              "value": 1}]}).status_code == 200  # fmt: skip
    # a span with a zero trace id: rejected, counted
    bad = httpx.post(f"{server.base_url}/v1/traces", json={"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "0" * 32, "spanId": "1" * 16, "name": "bad", "startTimeUnixNano": "1"}]}]}]},
        headers={"Authorization": f"Bearer {SECRET_KEY}"})  # fmt: skip
    assert bad.status_code == 200


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TheodoliteServer]:
    """A server with a tiny series budget and user ids as labels, after a representative ingest."""
    workdir = tmp_path_factory.mktemp("metrics")
    running = TheodoliteServer(f"sqlite:///{workdir / 'theodolite.db'}", workdir, metrics_series_budget="3",
                               metrics_label_attributes="user_id", metrics_token="scrape-me").start()  # fmt: skip
    representative_ingest(running)
    for user in ("u2", "u3", "u4", "u5"):  # more label sets than the budget allows
        post(running, llm_body("gpt-4o-mini", user=user))
    yield running
    running.stop()


def test_every_catalog_metric_is_emitted_and_nothing_else(busy: TheodoliteServer) -> None:
    text = scrape(busy, "scrape-me").text
    families = list(text_string_to_metric_families(text))
    emitted = {sample.name for family in families for sample in family.samples}
    undocumented = sorted(name for name in emitted if find_metric(name) is None)
    assert undocumented == [], f"emitted but not in theodolite/metrics/catalog.py: {undocumented}"
    silent = sorted(spec.name for spec in METRICS if spec.emitted_by != "sdk" and not set(spec.sample_names) & emitted)
    assert silent == [], f"in the catalog but never emitted: {silent}"


def test_values_follow_what_was_committed(busy: TheodoliteServer) -> None:
    found = samples(scrape(busy, "scrape-me").text)
    # 1 reference generation + gpt-4o-mini x5 from the provider and x1 from the cache + the unknown model;
    # the reference's is cached-token 12/5
    assert total(found, "theodolite_generations_total", project="test") == 8
    assert total(found, "theodolite_generations_total", status="error") == 1
    assert total(found, "theodolite_tokens_total", token_type="input") == 12 + 7 * 1000
    assert total(found, "theodolite_generations_unpriced_total", model="acme-unknown-7b") == 1
    # gpt-4o-mini: 1000 x $0.15 + 500 x $0.60 per million = $0.00045 each, x5, + the reference's $0.00000465;
    # the cache hit costs nothing and saves what the provider would have charged
    assert total(found, "theodolite_cost_usd_total") == pytest.approx(5 * 0.00045 + 0.00000465)
    assert total(found, "theodolite_cost_saved_usd_total") == pytest.approx(0.00045)
    assert total(found, "gen_ai_client_operation_time_to_first_chunk_seconds_count") == 7
    assert total(found, "theodolite_errors_total", type="tool") == 1
    assert total(found, "theodolite_scores_total", name="helpful") == 1
    assert total(found, "theodolite_ingest_rejected_items_total") == 1
    assert total(found, "theodolite_traces_total") == 8
    assert total(found, "theodolite_database_size_bytes") > 0


def test_labels_are_bounded_by_the_series_budget(busy: TheodoliteServer) -> None:
    found = samples(scrape(busy, "scrape-me").text)
    users = {dict(keys).get("user_id") for (name, keys) in found if name == "theodolite_generations_total"}
    assert "other" in users and len(users) <= 3
    assert total(found, "theodolite_metrics_folded_series_total", metric="theodolite_generations_total") > 0
    assert total(found, "theodolite_generations_total") == 8  # folded, never lost


def test_a_token_protects_the_endpoint(busy: TheodoliteServer) -> None:
    assert scrape(busy).status_code == 401
    assert scrape(busy, "wrong").status_code == 401
    assert scrape(busy, "scrape-me").status_code == 200


def test_promtool_accepts_the_exposition(busy: TheodoliteServer) -> None:
    assert shutil.which("promtool"), "promtool is missing: ./scripts/test installs it (apt package prometheus)"
    result = subprocess.run(["promtool", "check", "metrics"], input=scrape(busy, "scrape-me").content,
                            capture_output=True, timeout=30)  # fmt: skip
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


def test_resent_spans_are_counted_once(server: TheodoliteServer) -> None:
    body = llm_body("gpt-4o-mini", ttft_s=None)
    before = total(samples(scrape(server).text), "theodolite_generations_total")
    post(server, body)
    post(server, body)  # a client's retry of the same spans
    deadline = time.monotonic() + 10
    after = before
    while time.monotonic() < deadline and after == before:  # counted at commit, before the answer
        after = total(samples(scrape(server).text), "theodolite_generations_total")
    assert after == before + 1
    assert total(samples(scrape(server).text), "theodolite_database_size_bytes") > 0  # also on PostgreSQL
