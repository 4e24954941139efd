"""Bad input gets a clear 4xx, never crashes the server, and never loses what was accepted."""

from __future__ import annotations

import gzip
import json
import os
import time

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.support.otlp_bodies import request_with_spans
from tests.support.server import PUBLIC_KEY, SECRET_KEY, TheodoliteServer

SERVER_SETTINGS = {"max_body_bytes": str(256 * 1024)}
PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}


def post(
    server: TheodoliteServer, body: bytes, headers: dict[str, str] | None = None, *, secret: str | None = SECRET_KEY
) -> httpx.Response:
    all_headers = dict(PROTOBUF)
    if secret is not None:
        all_headers["Authorization"] = f"Bearer {secret}"
    all_headers.update(headers or {})
    return httpx.post(server.base_url + "/v1/traces", content=body, headers=all_headers, timeout=30)


def message(response: httpx.Response) -> str:
    return response.json()["error"]["message"]


def stored_count(server: TheodoliteServer, trace_id: str) -> int:
    with server.client() as client:
        response = client.get(f"/api/v1/traces/{trace_id}")
    return response.json()["observation_count"] if response.status_code == 200 else 0


def test_good_request_is_acknowledged_with_empty_partial_success(server: TheodoliteServer) -> None:
    body, trace_id = request_with_spans(3)
    response = post(server, body)
    assert response.status_code == 200
    reply = ExportTraceServiceResponse.FromString(response.content)
    assert not reply.HasField("partial_success")
    assert stored_count(server, trace_id) == 3


def test_empty_body_is_an_empty_export(server: TheodoliteServer) -> None:
    # An empty protobuf message is a valid ExportTraceServiceRequest with no spans.
    assert post(server, b"").status_code == 200


def test_truncated_protobuf_is_400_with_a_reason(server: TheodoliteServer) -> None:
    body, _ = request_with_spans(3)
    response = post(server, body[: len(body) // 2])
    assert response.status_code == 400
    assert "protobuf" in message(response)


def test_wrong_content_type_is_415(server: TheodoliteServer) -> None:
    body, _ = request_with_spans(1)
    response = post(server, body, {"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "application/x-protobuf" in message(response)


def test_unknown_content_encoding_is_415(server: TheodoliteServer) -> None:
    body, _ = request_with_spans(1)
    response = post(server, body, {"Content-Encoding": "br"})
    assert response.status_code == 415


def test_corrupt_gzip_is_400(server: TheodoliteServer) -> None:
    response = post(server, b"\x1f\x8b\x08\x00garbage", {"Content-Encoding": "gzip"})
    assert response.status_code == 400


def test_invalid_json_is_400(server: TheodoliteServer) -> None:
    response = post(server, b'{"resourceSpans": [', JSON)
    assert response.status_code == 400
    assert "JSON" in message(response)


def test_json_span_with_a_bad_id_is_rejected_alone(server: TheodoliteServer) -> None:
    trace_id, now = os.urandom(16).hex(), time.time_ns()

    def span(name: str, **fields: str) -> dict:
        return {"traceId": trace_id, "spanId": os.urandom(8).hex(), "name": name,
                "startTimeUnixNano": str(now), "endTimeUnixNano": str(now + 1000)} | fields  # fmt: skip

    spans = [span("root"), span("bad", spanId="zz"), span("short", traceId="abcd"), span("child")]
    document = {"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}
    response = post(server, json.dumps(document).encode(), JSON)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    partial = response.json()["partialSuccess"]
    assert int(partial["rejectedSpans"]) == 2
    assert "spanId 'zz' is not hex" in partial["errorMessage"]
    assert "traceId 'abcd' must be 32 hex digits" in partial["errorMessage"]
    assert stored_count(server, trace_id) == 2


def test_json_body_of_the_wrong_shape_is_400(server: TheodoliteServer) -> None:
    response = post(server, json.dumps({"resourceSpans": {"scopeSpans": []}}).encode(), JSON)
    assert response.status_code == 400
    assert "resourceSpans" in message(response)


@pytest.mark.parametrize("secret", [None, "sk-wrong"])
def test_missing_or_wrong_key_is_401(server: TheodoliteServer, secret: str | None) -> None:
    body, trace_id = request_with_spans(1)
    response = post(server, body, secret=secret)
    assert response.status_code == 401
    assert "key" in message(response)
    assert stored_count(server, trace_id) == 0


def test_basic_and_x_api_key_auth_are_accepted(server: TheodoliteServer) -> None:
    body, trace_id = request_with_spans(1)
    basic = httpx.BasicAuth(PUBLIC_KEY, SECRET_KEY)
    response = httpx.post(server.base_url + "/v1/traces", content=body, headers=PROTOBUF, auth=basic)
    assert response.status_code == 200
    body2, trace_id2 = request_with_spans(1)
    response = httpx.post(server.base_url + "/v1/traces", content=body2, headers={**PROTOBUF, "x-api-key": SECRET_KEY})
    assert response.status_code == 200
    assert stored_count(server, trace_id) == 1 and stored_count(server, trace_id2) == 1


def test_basic_auth_with_wrong_public_key_is_401(server: TheodoliteServer) -> None:
    body, _ = request_with_spans(1)
    response = httpx.post(
        server.base_url + "/v1/traces", content=body, headers=PROTOBUF, auth=httpx.BasicAuth("pk-other", SECRET_KEY)
    )
    assert response.status_code == 401


def test_oversized_body_is_413(server: TheodoliteServer) -> None:
    body = b"\x00" * (300 * 1024)
    assert post(server, body).status_code == 413


def test_gzip_bomb_is_413(server: TheodoliteServer) -> None:
    bomb = gzip.compress(b"\x00" * (5 * 1024 * 1024))
    assert len(bomb) < 256 * 1024
    assert post(server, bomb, {"Content-Encoding": "gzip"}).status_code == 413


def test_ten_thousand_attributes_are_capped_not_fatal(server: TheodoliteServer) -> None:
    body, trace_id = request_with_spans(1, attributes=10_000, pad_bytes=0)
    response = post(server, body)
    assert response.status_code == 200
    with server.client() as client:
        trace = client.get(f"/api/v1/traces/{trace_id}").json()
    attributes = trace["observations"][0]["attributes"]
    assert attributes["theodolite.dropped_attributes_count"] == 10_000 - 1000
    assert len(attributes) <= 1000 + 3


def test_bad_spans_are_rejected_good_ones_stored(server: TheodoliteServer) -> None:
    body, trace_id = request_with_spans(4)
    request = ExportTraceServiceRequest.FromString(body)
    spans = request.resource_spans[0].scope_spans[0].spans
    spans[1].span_id = b""  # invalid
    spans[2].start_time_unix_nano = 0  # invalid
    response = post(server, request.SerializeToString())
    assert response.status_code == 200
    reply = ExportTraceServiceResponse.FromString(response.content)
    assert reply.partial_success.rejected_spans == 2
    assert "span_id" in reply.partial_success.error_message
    assert stored_count(server, trace_id) == 2


def test_resent_spans_are_stored_once(server: TheodoliteServer) -> None:
    body, trace_id = request_with_spans(5)
    for _ in range(3):
        assert post(server, body).status_code == 200
    assert stored_count(server, trace_id) == 5


def test_server_survives_all_of_the_above(server: TheodoliteServer) -> None:
    assert server.process is not None and server.process.poll() is None
    assert httpx.get(server.base_url + "/api/v1/health").status_code == 200
