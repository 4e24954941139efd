"""The trace page's API over a real server on SQLite and PostgreSQL: the skeleton (columns, no inputs,
cost status, the cap), one observation's details, in-trace search, and access (another project's
trace is a 404, a viewer reads). Spans arrive through the real OpenTelemetry SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from opentelemetry.trace import Status, StatusCode

from tests.conftest import new_postgres_database
from tests.support.accounts import cli_ok, new_secret, sign_in
from tests.support.otel import protobuf_exporter, provider_with
from tests.support.server import SECRET_KEY, TheodoliteServer

CAP = 6  # the server's trace_page_max_observations: the big trace has more
PASSWORD = "correct horse battery"
MESSAGES = [
    {"role": "system", "content": "Tu es un assistant."},
    {"role": "user", "content": "Quel temps fait-il à Zürich ? Ответь по-русски, 東京も"},
]
ANSWER = {"role": "assistant", "content": "Il fait beau À ZÜRICH."}


@dataclass(frozen=True)
class World:
    server: TheodoliteServer
    trace_id: str  # root -> (generation, tool (error)), plus a late event
    generation_id: str
    tool_id: str
    big_trace_id: str  # CAP + 4 spans
    other_trace_id: str  # in project "beta"


def send(server: TheodoliteServer, secret: str, build) -> str:  # noqa: ANN001 - a callback of a tracer
    provider = provider_with(protobuf_exporter(server.base_url + "/v1/traces", secret))
    result = build(provider.get_tracer("trace-page-tests"))
    provider.shutdown()
    return result


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    workdir: Path = tmp_path_factory.mktemp("trace-page")
    if request.param == "sqlite":
        url = f"sqlite:///{workdir / 'theodolite.db'}"
    else:
        url = new_postgres_database(request.getfixturevalue("postgres_server"))
    server = TheodoliteServer(url, workdir, trace_page_max_observations=str(CAP)).start()
    try:
        base = datetime(2026, 11, 2, tzinfo=UTC)
        ns = lambda delta_ms: int(base.timestamp()) * 10**9 + delta_ms * 10**6  # noqa: E731
        ids: dict[str, str] = {}

        def reference(tracer) -> str:  # noqa: ANN001
            with tracer.start_as_current_span("answer-question", start_time=ns(0), end_on_exit=False,
                                              attributes={"user.id": "u-1", "session.id": "s-1"}) as root:  # fmt: skip
                attrs = {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": "gpt-4o-mini",
                    "gen_ai.usage.input_tokens": 120,
                    "gen_ai.usage.output_tokens": 30,
                    "theodolite.observation.input": json.dumps(MESSAGES),
                    "theodolite.observation.output": json.dumps(ANSWER),
                    "theodolite.observation.model_parameters": json.dumps({"temperature": 0.2}),
                }
                with tracer.start_as_current_span(
                    "chat", start_time=ns(10), attributes=attrs, end_on_exit=False
                ) as llm:
                    ids["generation"] = format(llm.get_span_context().span_id, "016x")
                    llm.end(end_time=ns(510))
                tool_attrs = {"gen_ai.operation.name": "execute_tool", "theodolite.observation.input": '{"city": "x"}'}
                with tracer.start_as_current_span(
                    "weather", start_time=ns(520), attributes=tool_attrs, end_on_exit=False
                ) as tool:
                    ids["tool"] = format(tool.get_span_context().span_id, "016x")
                    tool.set_status(Status(StatusCode.ERROR, "weather API down"))
                    tool.end(end_time=ns(600))
                root.end(end_time=ns(700))
            return format(root.get_span_context().trace_id, "032x")

        def big(tracer) -> str:  # noqa: ANN001
            with tracer.start_as_current_span("big", start_time=ns(0), end_on_exit=False) as root:
                for i in range(CAP + 3):
                    tracer.start_span(f"step-{i}", start_time=ns(i + 1)).end(end_time=ns(i + 2))
                root.end(end_time=ns(100))
            return format(root.get_span_context().trace_id, "032x")

        trace_id = send(server, SECRET_KEY, reference)
        big_id = send(server, SECRET_KEY, big)
        _, beta_secret = new_secret(url, "beta")
        other_id = send(server, beta_secret, big)
        with server.client() as client:
            score = {"trace_id": trace_id, "observation_id": ids["generation"], "name": "helpful", "value": 1}
            assert client.post("/api/v1/scores", json={"scores": [score]}).status_code == 200
        cli_ok(url, "users", "create", "viewer@example.com", "--project", "test", "--role", "viewer",
               "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
        yield World(server, trace_id, ids["generation"], ids["tool"], big_id, other_id)
    finally:
        server.stop()


def test_skeleton_has_every_observation_as_columns_without_inputs(world: World) -> None:
    with world.server.client() as client:
        response = client.get(f"/api/v1/traces/{world.trace_id}/skeleton")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 3 and body["truncated"] is False and body["max_observations"] == CAP
    columns = body["observations"]
    assert {len(values) for values in columns.values()} == {3}
    assert "input" not in columns and "output" not in columns
    assert "Zürich" not in response.text  # the payloads are not read
    assert columns["name"] == ["answer-question", "chat", "weather"]  # start order
    assert columns["parent"] == [-1, 0, 0]
    assert columns["id"][1:] == [world.generation_id, world.tool_id]
    assert columns["start_ms"] == [0, 10, 520]
    assert columns["duration_ms"] == [700, 500, 80]
    assert columns["type"][1] == "generation" and columns["model"][1] == "gpt-4o-mini"
    assert (columns["input_tokens"][1], columns["output_tokens"][1], columns["tokens"][1]) == (120, 30, 150)
    assert columns["cost"][1] is not None and columns["cost"][1] > 0 and columns["cost_status"][1] == "priced"
    assert columns["cost"][0] is None and columns["cost_status"][0] == "n/a"
    assert columns["error"] == [False, False, True] and columns["level"][2] == "ERROR"
    trace = body["trace"]
    assert (trace["id"], trace["user_id"], trace["session_id"]) == (world.trace_id, "u-1", "s-1")
    assert trace["observation_count"] == 3 and trace["score_count"] == 1 and trace["error_count"] == 1
    assert body["trace_start"].startswith("2026-11-02T00:00:00")


def test_a_trace_over_the_cap_answers_the_first_observations_and_says_so(world: World) -> None:
    with world.server.client() as client:
        body = client.get(f"/api/v1/traces/{world.big_trace_id}/skeleton").json()
    assert body["truncated"] is True and body["total"] == CAP + 4
    assert body["observations"]["name"] == ["big"] + [f"step-{i}" for i in range(CAP - 1)]
    assert body["trace"]["observation_count"] == CAP + 4  # the totals still cover every observation


def test_observation_details_have_input_output_usage_cost_and_scores(world: World) -> None:
    with world.server.client() as client:
        response = client.get(f"/api/v1/traces/{world.trace_id}/observations/{world.generation_id}")
        tool = client.get(f"/api/v1/traces/{world.trace_id}/observations/{world.tool_id}").json()
        missing = client.get(f"/api/v1/traces/{world.trace_id}/observations/{'0' * 16}")
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["input"] == MESSAGES and detail["output"] == ANSWER
    assert detail["model_parameters"] == {"temperature": 0.2}
    assert (detail["prompt_tokens"], detail["completion_tokens"]) == (120, 30)
    assert detail["calculated_total_cost"] > 0 and detail["cost_status"] == "priced"
    assert [(s["name"], s["value"]) for s in detail["scores"]] == [("helpful", 1)]
    assert detail["trace_id"] == world.trace_id
    assert tool["level"] == "ERROR" and tool["status_message"] == "weather API down"
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("zürich", ["generation"]),  # in the output, another case: case folding beyond ASCII
        ("ОТВЕТЬ", ["generation"]),  # Cyrillic, in the input
        ("東京", ["generation"]),
        ("WEATHER", ["tool"]),  # the name
        ("city", ["tool"]),  # a key of the input
        ("nothing like this", []),
    ],
)
def test_search_finds_names_inputs_and_outputs_in_the_trace(world: World, text: str, found: list[str]) -> None:
    with world.server.client() as client:
        response = client.get(f"/api/v1/traces/{world.trace_id}/search", params={"q": text})
    assert response.status_code == 200, response.text
    expected = [{"generation": world.generation_id, "tool": world.tool_id}[name] for name in found]
    assert response.json() == {"ids": expected, "scanned": 3}


def test_search_needs_a_text(world: World) -> None:
    with world.server.client() as client:
        assert client.get(f"/api/v1/traces/{world.trace_id}/search", params={"q": ""}).status_code == 422
        assert client.get(f"/api/v1/traces/{world.trace_id}/search").status_code == 422


def test_another_projects_trace_is_not_found(world: World) -> None:
    with world.server.client() as client:
        for path in ("skeleton", "search?q=step", f"observations/{'1' * 16}"):
            response = client.get(f"/api/v1/traces/{world.other_trace_id}/{path}")
            assert response.status_code == 404, (path, response.text)
        for path in ("skeleton", "search?q=step"):
            assert client.get(f"/api/v1/traces/{'ab' * 16}/{path}").status_code == 404


def test_a_signed_in_viewer_reads_the_trace_page(world: World) -> None:
    with sign_in(world.server, "viewer@example.com", PASSWORD) as viewer:
        skeleton = viewer.get(f"/api/v1/traces/{world.trace_id}/skeleton")
        detail = viewer.get(f"/api/v1/traces/{world.trace_id}/observations/{world.generation_id}")
        search = viewer.get(f"/api/v1/traces/{world.trace_id}/search", params={"q": "chat"})
        other = viewer.get(f"/api/v1/traces/{world.other_trace_id}/skeleton")
    assert skeleton.status_code == 200 and detail.status_code == 200 and search.status_code == 200
    assert search.json()["ids"] == [world.generation_id]
    assert other.status_code == 404


def test_the_skeletons_totals_are_the_lists(world: World) -> None:
    """A whole trace's totals are summed from the skeleton's rows, a truncated one's in SQL: both
    must say what the trace list says (tokens, cost, errors, latency)."""
    with world.server.client() as client:
        listed = {item["id"]: item for item in client.get("/api/v1/traces", params={"limit": 50}).json()["data"]}
        for trace_id in (world.trace_id, world.big_trace_id):
            trace = client.get(f"/api/v1/traces/{trace_id}/skeleton").json()["trace"]
            assert {k: trace[k] for k in listed[trace_id]} == listed[trace_id]
