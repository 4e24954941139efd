"""GET /api/v1/sessions/{id} and /api/v1/users/{id} through a real server on SQLite and PostgreSQL.

The session is sent by our SDK as an application would, one trace per turn, each storing its
messages in another common shape; the user's days by the OpenTelemetry SDK (spans at chosen
times). Users and roles come from the real `theodolite users` CLI.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

import theodolite
from tests.conftest import ALL_ENGINES
from tests.support.accounts import cli_ok, new_secret, sign_in
from tests.support.otel import protobuf_exporter, provider_with
from tests.support.server import SECRET_KEY, TheodoliteServer

SERVER_ENGINES = ALL_ENGINES  # what any trace store answers: on ClickHouse too

SESSION = "team/chat 7"  # a slash and a space: the id travels percent-encoded in the path
PASSWORD = "correct horse battery"
LONG = "word " * 2_000  # 10,000 characters: cut at 4,000


def send_turn(session: str, name: str, root_input: object, root_output: object, generation: dict | None = None) -> str:
    """One trace of the session: a root span with the turn's input/output, optionally a generation."""
    with theodolite.span(name, as_type="agent", input=root_input, session_id=session, user_id="ada") as root:
        if generation is not None:
            with theodolite.generation("llm", model="gpt-4o-mini", provider="openai", **generation):
                pass
        if root_output is not None:
            root.update(output=root_output)
    assert root.trace_id is not None
    return root.trace_id


# (root input, root output, generation fields, expected user text, expected answer, expected source)
TURNS = [
    (  # OpenAI chat messages on the root; the generation is priced (tokens)
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "How do I reset my password?"}],
        [{"role": "assistant", "content": "Settings > Security > Reset."}],
        {"usage": {"input_tokens": 100, "output_tokens": 20}},
        "How do I reset my password?", "Settings > Security > Reset.", "root",
    ),
    (  # Anthropic content blocks
        {"system": "x", "messages": [{"role": "user", "content": [{"type": "text", "text": "And the link?"},
                                                                  {"type": "image", "source": {"data": "..."}}]}]},
        {"role": "assistant", "content": [{"type": "text", "text": "It is emailed."},
                                          {"type": "tool_use", "name": "send_mail", "input": {}}]},
        None,
        "And the link?\n\n[image]", "It is emailed.\n\n[tool call: send_mail]", "root",
    ),
    ("plain question", "plain answer", None, "plain question", "plain answer", "root"),
    (  # {"messages": ...} (LangGraph state)
        {"messages": [{"type": "human", "content": "graph q"}]},
        {"messages": [{"type": "human", "content": "graph q"}, {"type": "ai", "content": "graph a"}]},
        None,
        "graph q", "graph a", "root",
    ),
    (  # nothing readable on the root: the generation's messages speak
        {"document_id": "d-4"}, None,
        {"input": [{"role": "user", "content": "summarise d-4"}], "output": {"role": "assistant", "content": "Done."}},
        "summarise d-4", "Done.", "generation",
    ),
    ({"document_id": "d-5", "pages": [1, 2, 3]}, None, None, None, None, "root"),  # no shape at all: JSON
    (LONG, "ok", None, LONG[:4000], "ok", "root"),
]  # fmt: skip


@pytest.fixture(scope="module")
def world(server: TheodoliteServer) -> dict:
    url = server
    _, other_secret = new_secret(url, "other")
    for name, project, role in (("viewer", "test", "viewer"), ("stranger", "other", "owner")):
        cli_ok(url, "users", "create", f"{name}@example.com", "--project", project, "--role", role,
               "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    theodolite.configure(endpoint=server.base_url, api_key=SECRET_KEY, strict=True, flush_interval_s=0.05)
    trace_ids = [send_turn(SESSION, f"turn-{i}", *turn[:3]) for i, turn in enumerate(TURNS)]
    assert theodolite.shutdown(10)
    # Another project sends a turn into a session of the same name, in one of our traces (W3C context
    # crosses services): neither project may see the other's.
    theodolite.configure(endpoint=server.base_url, api_key=other_secret, strict=True, flush_interval_s=0.05)
    with theodolite.span("intruder", input="intruder q", session_id=SESSION, user_id="ada",
                         traceparent=f"00-{trace_ids[0]}-{'1' * 16}-01"):  # fmt: skip
        with theodolite.generation("llm", model="gpt-4o-mini", usage={"input_tokens": 9999, "output_tokens": 1}):
            pass
    assert theodolite.shutdown(10)
    # The user's days: three traces on 1 November (one with an unpriced model), one on 3 November.
    provider = provider_with(protobuf_exporter(server.base_url + "/v1/traces", SECRET_KEY))
    tracer = provider.get_tracer("t")
    base = datetime(2026, 11, 1, 9, tzinfo=UTC)
    for offset, model in ((timedelta(0), "gpt-4o-mini"), (timedelta(hours=1), "gpt-4o-mini"),
                          (timedelta(hours=2), "no-such-model"), (timedelta(days=2), "gpt-4o-mini")):  # fmt: skip
        start = int((base + offset).timestamp() * 1e9)
        with tracer.start_as_current_span("ask", start_time=start, attributes={"user.id": "grace"},
                                          end_on_exit=False) as root:  # fmt: skip
            attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model,
                     "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 100}  # fmt: skip
            llm = tracer.start_span("llm", start_time=start + 1000, attributes=attrs)
            llm.end(end_time=start + 2_000_000)
            root.end(end_time=start + 3_000_000)
    provider.shutdown()
    return {"trace_ids": trace_ids, "other_secret": other_secret, "base": base}


def session_path(session: str = SESSION) -> str:
    return f"/api/v1/sessions/{quote(session, safe='')}"


def get(server: TheodoliteServer, path: str, secret: str = SECRET_KEY, **params: object) -> httpx.Response:
    with server.client(secret) as client:
        return client.get(path, params=params)


def test_a_session_is_its_traces_in_time_order_with_the_words_of_each_turn(server: TheodoliteServer, world: dict):
    response = get(server, session_path())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["session_id"] == SESSION and body["next_cursor"] is None
    turns = body["turns"]
    assert [turn["trace_id"] for turn in turns] == world["trace_ids"]
    for turn, (_, _, _, question, answer, source) in zip(turns, TURNS, strict=True):
        assert turn["input"]["text"] == question, turn["name"]
        assert turn["output"]["text"] == answer, turn["name"]
        assert turn["input"]["source"] == source
    json_turn = turns[5]
    assert json_turn["input"]["json"] == {"document_id": "d-5", "pages": [1, 2, 3]}
    assert json_turn["output"] == {"text": None, "json": None, "truncated": False, "source": None}
    assert turns[6]["input"]["truncated"] is True and turns[6]["output"]["truncated"] is False
    # Per turn: tokens, cost, latency, counts, as the trace list has them.
    first = turns[0]
    assert (first["input_tokens"], first["output_tokens"], first["observation_count"]) == (100, 20, 2)
    assert first["total_cost"] > 0 and first["latency_s"] is not None and first["latency_s"] >= 0
    assert first["user_id"] == "ada" and first["name"] == "turn-0"


def test_the_first_page_has_the_session_totals(server: TheodoliteServer, world: dict) -> None:
    summary = get(server, session_path()).json()["summary"]
    assert summary["trace_count"] == len(TURNS)
    assert summary["input_tokens"] == 100 and summary["output_tokens"] == 20  # the other project's 9,999 are not
    assert summary["user_ids"] == ["ada"]
    assert summary["first_seen"] <= summary["last_seen"]
    assert summary["total_cost"] == get(server, session_path()).json()["turns"][0]["total_cost"]


def test_turns_page_on_the_cursor_without_gaps_or_repeats(server: TheodoliteServer, world: dict) -> None:
    seen, summaries, cursor = [], [], None
    for _ in range(10):
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        body = get(server, session_path(), **params).json()
        seen += [turn["trace_id"] for turn in body["turns"]]
        summaries.append(body["summary"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == world["trace_ids"]
    assert summaries[0] is not None and summaries[1:] == [None, None]  # totals once, not per page
    bad = get(server, session_path(), cursor="not-a-cursor")
    assert bad.status_code == 400 and "cursor" in bad.json()["error"]["message"]
    assert get(server, session_path(), limit=0).status_code == 422


def test_another_projects_session_and_user_are_404(server: TheodoliteServer, world: dict) -> None:
    other = world["other_secret"]
    theirs = get(server, session_path(), other).json()
    assert [turn["input"]["text"] for turn in theirs["turns"]] == ["intruder q"]  # their own turn only
    assert get(server, "/api/v1/users/grace", other).status_code == 404  # a user of ours only
    for path in (session_path("no-such-session"), "/api/v1/users/no-such-user"):
        response = get(server, path)
        assert response.status_code == 404 and response.json()["error"]["message"].endswith("not found")
    assert get(server, session_path(), "sk-wrong").status_code == 401


def test_viewers_read_and_members_of_another_project_do_not(server: TheodoliteServer, world: dict) -> None:
    with sign_in(server, "viewer", PASSWORD) as viewer:
        assert viewer.get(session_path()).status_code == 200
        assert viewer.get("/api/v1/users/grace").status_code == 200
    with sign_in(server, "stranger", PASSWORD) as stranger:
        assert stranger.get("/api/v1/users/grace").status_code == 404
        # Naming our project does not help: it is not theirs.
        assert stranger.get("/api/v1/users/grace", headers={"X-Theodolite-Project": "test"}).status_code == 404
    with httpx.Client(base_url=server.base_url) as anonymous:
        assert anonymous.get(session_path()).status_code == 401


def test_a_user_has_totals_and_a_daily_series(server: TheodoliteServer, world: dict) -> None:
    response = get(server, "/api/v1/users/grace")
    assert response.status_code == 200, response.text
    user = response.json()
    assert user["trace_count"] == 4 and user["input_tokens"] == 4000 and user["output_tokens"] == 400
    assert user["unpriced_count"] == 1 and user["total_cost"] > 0  # priced calls summed, the unpriced one apart
    assert [(d["day"], d["trace_count"], d["input_tokens"]) for d in user["daily"]] == [
        ("2026-11-01", 3, 3000),
        ("2026-11-03", 1, 1000),
    ]
    assert user["daily"][0]["unpriced_count"] == 1
    assert sum(d["total_cost"] for d in user["daily"]) == pytest.approx(user["total_cost"])
    assert [t["timestamp"][:10] for t in user["recent_traces"]] == ["2026-11-03"] + ["2026-11-01"] * 3
    assert all(t["user_id"] == "grace" for t in user["recent_traces"])


def test_a_users_range_bounds_the_series(server: TheodoliteServer, world: dict) -> None:
    base = world["base"]
    user = get(server, "/api/v1/users/grace", **{"from": (base + timedelta(days=1)).isoformat()}).json()
    assert user["trace_count"] == 1 and [d["day"] for d in user["daily"]] == ["2026-11-03"]
    empty = get(server, "/api/v1/users/grace", **{"from": "2030-01-01T00:00:00Z"})
    assert empty.status_code == 200  # a known user with nothing in the range: zeros, not 404
    assert empty.json()["trace_count"] == 0 and empty.json()["daily"] == [] and empty.json()["first_seen"] is None
    backwards = get(server, "/api/v1/users/grace", **{"from": "2026-11-03T00:00:00Z", "to": "2026-11-01T00:00:00Z"})
    assert backwards.status_code == 400
