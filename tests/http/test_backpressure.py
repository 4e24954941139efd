"""A full ingest queue answers 429 with Retry-After, and what was acknowledged is all stored."""

from __future__ import annotations

import threading

import httpx

from tests.support.otlp_bodies import request_with_spans
from tests.support.server import SECRET_KEY, TheodoliteServer

# One span of queue: while any request is waiting for its commit, the next one is refused.
SERVER_SETTINGS = {"ingest_queue_max_spans": "1", "retry_after_s": "3"}
HEADERS = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {SECRET_KEY}"}


def test_full_queue_gets_429_with_retry_after(server: TheodoliteServer) -> None:
    # While a big batch is decoded, queued and committed, small requests (each a new trace) are sent
    # one after another: those decoded after the big one find it waiting and are refused. No health
    # poll: its round trip could outlast a commit on a loaded machine. Bounded by the big request.
    big_body, big_trace = request_with_spans(50_000, attributes=1, pad_bytes=50)
    results: dict[str, httpx.Response] = {}

    def send_big() -> None:
        results["big"] = httpx.post(server.base_url + "/v1/traces", content=big_body, headers=HEADERS, timeout=120)

    sender = threading.Thread(target=send_big)
    sender.start()
    refused, small_body, small_trace = None, b"", ""
    while sender.is_alive():
        small_body, small_trace = request_with_spans(1)
        answer = httpx.post(server.base_url + "/v1/traces", content=small_body, headers=HEADERS, timeout=30)
        if answer.status_code == 429:
            refused = answer
            break
    sender.join(120)
    assert refused is not None, "no small request was refused while the big batch waited for its commit"

    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "3"
    assert "queue full" in refused.json()["error"]["message"]
    assert results["big"].status_code == 200
    with server.client() as client:
        assert client.get(f"/api/v1/traces/{big_trace}").json()["observation_count"] == 50_000
        assert client.get(f"/api/v1/traces/{small_trace}").status_code == 404  # refused, so not stored
    # Once the queue drains, the same request is accepted.
    accepted = httpx.post(server.base_url + "/v1/traces", content=small_body, headers=HEADERS, timeout=30)
    assert accepted.status_code == 200
    # The refusal is visible on the server's own /metrics, by route and status.
    exposition = httpx.get(server.base_url + "/metrics", timeout=30).text
    refusals = [
        line
        for line in exposition.splitlines()
        if line.startswith("http_server_request_duration_seconds_count{")
        and 'http_response_status_code="429"' in line
        and 'http_route="/v1/traces"' in line
    ]
    assert refusals and float(refusals[0].rsplit(" ", 1)[1]) == 1.0, exposition
