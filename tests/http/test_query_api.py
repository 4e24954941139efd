"""The query API over a real server: filters, cursor pagination, sessions, users, isolation."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import ALL_ENGINES
from tests.support.otel import protobuf_exporter, provider_with
from tests.support.server import SECRET_KEY, TheodoliteServer

SERVER_ENGINES = ALL_ENGINES  # what any trace store answers: on ClickHouse too


def cli(server: TheodoliteServer, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "theodolite", *args, *server.cli_options()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def seeded(server: TheodoliteServer) -> dict[str, object]:
    """12 traces: 3 users, 4 sessions, two models, one error, tags; sent with the OTel SDK."""
    provider = provider_with(protobuf_exporter(server.base_url + "/v1/traces", SECRET_KEY))
    tracer = provider.get_tracer("t")
    base = datetime(2026, 11, 1, tzinfo=UTC)
    ids = []
    for i in range(12):
        start = int((base + timedelta(minutes=i)).timestamp() * 1e9)
        with tracer.start_as_current_span(
            f"job-{i % 3}",
            start_time=start,
            attributes={
                "user.id": f"user-{i % 3}",
                "session.id": f"session-{i % 4}",
                "theodolite.trace.tags": '["prod"]' if i % 2 else '["beta", "prod"]',
            },
        ) as root:
            attrs = {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "model-a" if i < 6 else "model-b",
                "gen_ai.usage.input_tokens": 10,
                "gen_ai.usage.output_tokens": i,
            }
            with tracer.start_as_current_span("llm", start_time=start + 1000, attributes=attrs) as llm:
                if i == 7:
                    from opentelemetry.trace import Status, StatusCode

                    llm.set_status(Status(StatusCode.ERROR, "rate limited"))
                llm.end(end_time=start + 2_000_000)
            root.end(end_time=start + 3_000_000)
        ids.append(format(root.get_span_context().trace_id, "032x"))
    provider.shutdown()
    return {"ids": ids, "base": base}


def get(server: TheodoliteServer, path: str, secret: str = SECRET_KEY, **params: object) -> httpx.Response:
    with server.client(secret) as client:
        return client.get(path, params=params)


def test_list_is_newest_first_and_cursor_pages_are_complete(server: TheodoliteServer, seeded: dict) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 5, "from": seeded["base"].isoformat()}
        if cursor:
            params["cursor"] = cursor
        page = get(server, "/api/v1/traces", **params).json()
        seen.extend(t["id"] for t in page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(seeded["ids"]))


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"user_id": "user-1"}, [1, 4, 7, 10]),
        ({"session_id": "session-0"}, [0, 4, 8]),
        ({"name": "job-2"}, [2, 5, 8, 11]),
        ({"tags": ["beta"]}, [0, 2, 4, 6, 8, 10]),
        ({"tags": ["beta", "prod"], "model": "model-b"}, [6, 8, 10]),
        ({"level": "error"}, [7]),
        ({"to": "2026-11-01T00:03:00+00:00"}, [0, 1, 2]),
    ],
)
def test_trace_filters(server: TheodoliteServer, seeded: dict, params: dict, expected: list[int]) -> None:
    data = get(server, "/api/v1/traces", limit=100, **{"from": seeded["base"].isoformat()}, **params).json()["data"]
    assert [t["id"] for t in data] == [seeded["ids"][i] for i in reversed(expected)]


def test_trace_totals(server: TheodoliteServer, seeded: dict) -> None:
    [trace] = get(
        server,
        "/api/v1/traces",
        name="job-1",
        user_id="user-1",
        session_id="session-3",
        **{"from": seeded["base"].isoformat()},
    ).json()["data"]  # i == 7
    assert (trace["observation_count"], trace["input_tokens"], trace["output_tokens"]) == (2, 10, 7)
    assert trace["error_count"] == 1 and trace["unpriced_count"] == 1 and trace["total_cost"] is None
    assert trace["latency_s"] == pytest.approx(0.003)


def test_observations_list_filters_by_type_and_model(server: TheodoliteServer, seeded: dict) -> None:
    data = get(
        server,
        "/api/v1/observations",
        type="generation",
        model="model-a",
        limit=100,
        **{"from": seeded["base"].isoformat()},
    ).json()["data"]
    assert len(data) == 6 and {o["model"] for o in data} == {"model-a"}
    assert "input" not in data[0]  # lists read hot rows only


def test_sessions_and_users(server: TheodoliteServer, seeded: dict) -> None:
    sessions = get(server, "/api/v1/sessions", **{"from": seeded["base"].isoformat()}).json()["data"]
    assert [s["session_id"] for s in sessions] == ["session-3", "session-2", "session-1", "session-0"]
    assert sessions[0]["trace_count"] == 3 and sessions[0]["total_tokens"] == 3 * 10 + 3 + 7 + 11
    users = get(server, "/api/v1/users", limit=2, **{"from": seeded["base"].isoformat()}).json()
    assert [u["user_id"] for u in users["data"]] == ["user-2", "user-1"]
    rest = get(
        server, "/api/v1/users", limit=2, cursor=users["next_cursor"], **{"from": seeded["base"].isoformat()}
    ).json()
    assert [u["user_id"] for u in rest["data"]] == ["user-0"] and rest["next_cursor"] is None


def test_a_key_never_reads_another_projects_data(server: TheodoliteServer, seeded: dict) -> None:
    output = cli(server, "keys", "create", "--project", "other")
    other_secret = next(line.split(": ", 1)[1] for line in output.splitlines() if line.startswith("secret key"))
    assert get(server, "/api/v1/traces", other_secret).json()["data"] == []
    assert get(server, f"/api/v1/traces/{seeded['ids'][0]}", other_secret).status_code == 404
    assert get(server, "/api/v1/observations", other_secret).json()["data"] == []
    assert get(server, "/api/v1/sessions", other_secret).json()["data"] == []
    assert get(server, "/api/v1/users", other_secret).json()["data"] == []
    assert get(server, f"/api/v1/traces/{seeded['ids'][0]}").status_code == 200


def test_revoked_key_is_refused(server: TheodoliteServer) -> None:
    output = cli(server, "keys", "create", "--project", "temp")
    public = next(line.split(": ", 1)[1] for line in output.splitlines() if line.startswith("public key"))
    secret = next(line.split(": ", 1)[1] for line in output.splitlines() if line.startswith("secret key"))
    assert get(server, "/api/v1/traces", secret).status_code == 200
    cli(server, "keys", "revoke", public)
    assert "revoked" in cli(server, "keys", "list", "--project", "temp")
    # The server caches a verified key for api_key_cache_s (5 s): poll with a deadline.
    import time

    deadline = time.monotonic() + 15
    while get(server, "/api/v1/traces", secret).status_code != 401:
        assert time.monotonic() < deadline, "revoked key still accepted after the cache period"
        time.sleep(0.2)


@pytest.mark.parametrize(
    "path, params",
    [
        ("/api/v1/traces", {"cursor": "garbage!"}),
        ("/api/v1/traces", {"from": "yesterday"}),
        ("/api/v1/traces", {"limit": 0}),
        ("/api/v1/traces", {"level": "loud"}),
    ],
)
def test_bad_query_parameters_get_a_clear_4xx(server: TheodoliteServer, path: str, params: dict) -> None:
    response = get(server, path, **params)
    assert response.status_code in (400, 422)
    assert response.json()["error"]["message"]


def test_unknown_trace_is_404_json(server: TheodoliteServer) -> None:
    response = get(server, "/api/v1/traces/" + "0" * 32)
    assert response.status_code == 404 and "not found" in response.json()["error"]["message"]


def test_openapi_documents_the_query_api(server: TheodoliteServer) -> None:
    schema = httpx.get(server.base_url + "/openapi.json").json()
    for path in (
        "/api/v1/traces",
        "/api/v1/traces/{trace_id}",
        "/api/v1/observations",
        "/api/v1/sessions",
        "/api/v1/users",
        "/api/v1/health",
        "/v1/traces",
    ):
        assert path in schema["paths"], path
