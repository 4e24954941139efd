"""The server's own health on /metrics: every HTTP response by method, route template and status
(a revoked key's 401, a 413, a 415 included), the process metrics, and one series per project
from the start. Through a real `theodolite serve`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from click.testing import CliRunner

from tests.http.test_metrics_endpoint import samples, scrape, total
from tests.support.server import TheodoliteServer
from tests.support.spans import llm_body, post
from theodolite.cli.main import cli

DURATION = "http_server_request_duration_seconds"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TheodoliteServer]:
    workdir = tmp_path_factory.mktemp("health")
    running = TheodoliteServer(f"sqlite:///{workdir / 'theodolite.db'}", workdir, max_body_bytes="4096",
                               api_key_cache_s="0").start()  # fmt: skip
    yield running
    running.stop()


def requests_counted(found: dict, route: str, status: int, method: str = "POST") -> float:
    return total(found, f"{DURATION}_count", http_route=route, http_response_status_code=str(status),
                 http_request_method=method)  # fmt: skip


def test_refused_requests_are_counted_by_route_and_status(served: TheodoliteServer) -> None:
    created = CliRunner().invoke(cli, ["keys", "create", "--project", "test", "--database-url", served.database_url])
    assert created.exit_code == 0, created.output
    secret = created.output.split("secret key: ")[1].split()[0]
    public = created.output.split("public key: ")[1].split()[0]
    post(served, llm_body("gpt-4o-mini"))
    with served.client(secret) as client:
        assert client.get("/api/v1/traces").status_code == 200
        revoked = CliRunner().invoke(cli, ["keys", "revoke", public, "--database-url", served.database_url])
        assert revoked.exit_code == 0, revoked.output
        assert client.get("/api/v1/traces").status_code == 401  # the revoked key
        assert client.get("/api/v1/traces/" + "ab" * 16).status_code == 401
    with served.client() as client:
        too_big = client.post("/v1/traces", content=b"x" * 5000,
                              headers={"Content-Type": "application/x-protobuf"})  # fmt: skip
        assert too_big.status_code == 413
        assert client.post("/v1/traces", content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 415
        assert client.get("/api/v1/no/such/route").status_code == 404  # other paths get the web UI shell

    found = samples(scrape(served).text)
    assert requests_counted(found, "/v1/traces", 200) == 1
    assert requests_counted(found, "/api/v1/traces", 200, "GET") == 1
    assert requests_counted(found, "/api/v1/traces", 401, "GET") == 1
    assert requests_counted(found, "/api/v1/traces/{trace_id}", 401, "GET") == 1  # the template, not the id
    assert requests_counted(found, "/v1/traces", 413) == 1
    assert requests_counted(found, "/v1/traces", 415) == 1
    assert requests_counted(found, "unmatched", 404, "GET") == 1
    routes = {dict(keys)["http_route"] for (name, keys) in found if name == f"{DURATION}_count"}
    assert not any("ab" * 16 in route or "/no/such" in route for route in routes), routes
    assert total(found, f"{DURATION}_sum") > 0


def test_process_metrics_and_project_series_from_the_start(served: TheodoliteServer) -> None:
    found = samples(scrape(served).text)
    assert total(found, "process_resident_memory_bytes") > 10_000_000
    assert total(found, "process_cpu_seconds_total") > 0
    assert total(found, "process_start_time_seconds") > 1_700_000_000
    assert total(found, "theodolite_project_info", project="test") == 1


def test_a_fresh_server_has_a_project_series_before_any_generation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    fresh = TheodoliteServer(f"sqlite:///{tmp_path / 'theodolite.db'}", tmp_path).start()
    try:
        found = samples(httpx.get(f"{fresh.base_url}/metrics", timeout=30).text)
    finally:
        fresh.stop()
    assert total(found, "theodolite_project_info", project="test") == 1
    assert total(found, "theodolite_generations_total") == 0  # what LLMNoActivity cannot rely on alone
