"""What clients read: the OpenAPI schema declares how to authenticate (so /docs' Authorize button
works), and error messages are plain sentences — never Python class names, tracebacks, SQL or
driver text, which go to the server log instead. Through a real `theodolite serve`."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.support.server import SECRET_KEY, TheodoliteServer
from tests.support.spans import llm_body

# What must never reach a client: Python exception class names, tracebacks, Python's own error
# texts, pydantic's prefixes, SQL and driver names.
INTERNALS = re.compile(
    r"\b[A-Z][a-z]+[A-Za-z]*(?:Error|Exception)\b|Traceback|File \"|invalid literal|object has no attribute"
    r"|Value error,|pydantic|sqlalchemy|sqlite3|psycopg|\[SQL|INSERT INTO"
)
JSON = {"Content-Type": "application/json"}
PROTOBUF = {"Content-Type": "application/x-protobuf"}
MALFORMED = [
    ("POST", "/v1/traces", b'{"resourceSpans": [1, 2]}', JSON),
    ("POST", "/v1/traces", b'{"resourceSpans": {"scopeSpans": 3}}', JSON),
    ("POST", "/v1/traces", b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "abc"}]}]}]}', JSON),
    (
        "POST",
        "/v1/traces",
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": '
        b'[{"key": "a", "value": {"intValue": "x1"}}]}]}]}]}',
        JSON,
    ),  # fmt: skip
    ("POST", "/v1/traces", b"{not json", JSON),
    ("POST", "/v1/traces", b"\xff\xff\xff\xff", PROTOBUF),
    ("POST", "/v1/traces", b"not gzip", {**PROTOBUF, "Content-Encoding": "gzip"}),
    ("GET", "/api/v1/traces?limit=lots", b"", {}),
    ("GET", "/api/v1/traces?from=yesterday", b"", {}),
    ("PUT", "/api/v1/prices", b"{not json", JSON),
    ("PUT", "/api/v1/prices", b"[1]", JSON),
    ("POST", "/api/v1/scores", b'{"scores": [{"name": "n"}]}', JSON),
]


def test_the_openapi_schema_declares_the_three_key_schemes(sqlite_server: TheodoliteServer) -> None:
    schema = httpx.get(f"{sqlite_server.base_url}/openapi.json", timeout=30).json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer", "description": schemes["bearer"]["description"]}
    assert schemes["apiKey"]["type"] == "apiKey" and schemes["apiKey"]["in"] == "header"
    assert schemes["apiKey"]["name"] == "x-api-key"
    assert schemes["basic"]["type"] == "http" and schemes["basic"]["scheme"] == "basic"
    any_key = [{"bearer": []}, {"apiKey": []}, {"basic": []}]
    paths = schema["paths"]
    for path, method in [("/v1/traces", "post"), ("/api/v1/traces", "get"), ("/api/v1/traces/{trace_id}", "get"),
                         ("/api/v1/prices", "put"), ("/api/v1/scores", "post")]:  # fmt: skip
        assert paths[path][method]["security"] == any_key, path
    assert "security" not in paths["/api/v1/health"]["get"]
    assert paths["/metrics"]["get"]["security"] == [{"metricsToken": []}]


@pytest.mark.parametrize("method, path, body, headers", MALFORMED, ids=[f"{m[0]} {m[1]} {i}" for i, m in
                                                                         enumerate(MALFORMED)])  # fmt: skip
def test_malformed_input_gets_a_plain_message(sqlite_server: TheodoliteServer, method: str, path: str, body: bytes,
                                              headers: dict[str, str]) -> None:  # fmt: skip
    response = httpx.request(method, f"{sqlite_server.base_url}{path}", content=body, timeout=30,
                             headers={"Authorization": f"Bearer {SECRET_KEY}", **headers})  # fmt: skip
    if response.status_code == 200:  # one unreadable span of OTLP/JSON is left out, not the request
        message = response.json()["partialSuccess"]["errorMessage"]
        assert response.json()["partialSuccess"]["rejectedSpans"] == "1"
    else:
        assert 400 <= response.status_code < 500, response.text
        message = response.json()["error"]["message"]
    assert message and not INTERNALS.search(message), message


def test_a_storage_failure_is_plain_for_the_client_and_detailed_in_the_log(tmp_path: Path) -> None:
    database = tmp_path / "theodolite.db"
    server = TheodoliteServer(f"sqlite:///{database}", tmp_path).start()
    try:
        # A real database error on the writer's INSERT: a trigger that aborts it.
        with sqlite3.connect(database) as conn:
            conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON observations "
                         "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")  # fmt: skip
        response = httpx.post(f"{server.base_url}/v1/traces", content=llm_body("gpt-4o-mini"), timeout=30,
                              headers={"Authorization": f"Bearer {SECRET_KEY}", **PROTOBUF})  # fmt: skip
    finally:
        server.stop()
    assert response.status_code == 503, response.text
    message = response.json()["error"]["message"]
    assert message == "database write failed: the request was not stored; retry later"
    assert not INTERNALS.search(message) and "disk on fire" not in message
    assert "disk on fire" in server.log()  # the operator still learns why


@pytest.mark.parametrize("path", ["/api/v1/traces", "/api/v1/observations", "/api/v1/sessions", "/api/v1/users"])
def test_from_after_to_is_a_clear_400(sqlite_server: TheodoliteServer, path: str) -> None:
    with sqlite_server.client() as client:
        inverted = client.get(path, params={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01"})
        assert inverted.status_code == 400, inverted.text
        assert inverted.json()["error"]["message"] == (
            "from (2026-02-01T00:00:00+00:00) is after to (2026-01-01T00:00:00)")  # fmt: skip
        assert client.get(path, params={"from": "2026-01-01", "to": "2026-02-01"}).status_code == 200
