"""The trace list's model, level and tag filters over a real server, on both engines.

`model` matches the model a call asked for (`gen_ai.request.model`) or the one that answered
(`gen_ai.response.model`). Both filters read `trace_facets`, keyed by the trace's timestamp; a root
span that arrives after its children moves that timestamp earlier, and the filters must follow.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.trace import Status, StatusCode

from tests.conftest import ALL_ENGINES
from tests.support.otel import protobuf_exporter, provider_with
from tests.support.server import SECRET_KEY, TheodoliteServer

SERVER_ENGINES = ALL_ENGINES  # what any trace store answers: on ClickHouse too

BASE = datetime(2026, 11, 2, tzinfo=UTC)


def _ns(when: datetime) -> int:
    return int(when.timestamp() * 1e9)


@pytest.fixture(scope="module")
def sent(server: TheodoliteServer) -> dict[str, str]:
    """Trace ids by role; each span is exported (and committed) when it ends, children first."""
    provider = provider_with(protobuf_exporter(server.base_url + "/v1/traces", SECRET_KEY))
    tracer = provider.get_tracer("t")
    calls = {
        "asked": ("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "user-a", False),  # asked for the alias
        "answered": ("router-auto", "gpt-4o-mini", "user-b", False),  # a router answered with it
        "other": ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "user-a", True),  # failed
    }
    ids = {}
    for index, (role, (requested, answered, user, fails)) in enumerate(calls.items()):
        start = BASE + timedelta(minutes=index)
        with tracer.start_as_current_span(
            f"job-{role}",
            start_time=_ns(start),
            attributes={"user.id": user, "theodolite.trace.tags": f'["{role}", "all"]'},
            end_on_exit=False,
        ) as root:
            attributes = {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": requested,
                "gen_ai.response.model": answered,
                "gen_ai.usage.input_tokens": 3,
                "gen_ai.usage.output_tokens": 2,
            }
            llm = tracer.start_span("llm", start_time=_ns(start + timedelta(seconds=5)), attributes=attributes)
            if fails:
                llm.set_status(Status(StatusCode.ERROR, "overloaded"))
            llm.end(end_time=_ns(start + timedelta(seconds=6)))  # exported and committed alone, first
            root.end(end_time=_ns(start + timedelta(seconds=7)))  # then the root, 5 s earlier
        ids[role] = format(root.get_span_context().trace_id, "032x")
    provider.shutdown()
    return ids


def _listed(server: TheodoliteServer, **params: object) -> list[tuple[str, str]]:
    with server.client() as client:
        response = client.get("/api/v1/traces", params=params)
    assert response.status_code == 200, response.text
    return [(item["id"], item["timestamp"]) for item in response.json()["data"]]


def _ids(server: TheodoliteServer, **params: object) -> list[str]:
    return [trace_id for trace_id, _ in _listed(server, **params)]


def test_model_matches_the_requested_or_the_answering_model(server: TheodoliteServer, sent: dict[str, str]) -> None:
    assert _ids(server, model="gpt-4o-mini") == [sent["answered"], sent["asked"]]  # newest first
    assert _ids(server, model="gpt-4o-mini-2024-07-18") == [sent["asked"]]
    assert _ids(server, model="router-auto") == [sent["answered"]]
    assert _ids(server, model="claude-sonnet-4-5") == [sent["other"]]
    assert _ids(server, model="no-such-model") == []


def test_filters_follow_a_trace_whose_root_arrived_last(server: TheodoliteServer, sent: dict[str, str]) -> None:
    # The trace's timestamp is its root's start, 5 s before the LLM call that was stored first.
    listed = dict(_listed(server, model="claude-sonnet-4-5", level="error"))
    assert list(listed) == [sent["other"]]
    stamp = datetime.fromisoformat(listed[sent["other"]].replace("Z", "+00:00"))
    assert stamp == BASE + timedelta(minutes=2)
    window = {
        "from": (BASE + timedelta(minutes=2)).isoformat(),
        "to": (BASE + timedelta(minutes=2, seconds=1)).isoformat(),
    }
    assert _ids(server, model="claude-sonnet-4-5", **window) == [sent["other"]]
    assert _ids(server, level="ERROR", **window) == [sent["other"]]
    assert _ids(server, tags="other", **window) == [sent["other"]]  # tags came with the late root


def test_model_and_level_combine_with_the_trace_filters(server: TheodoliteServer, sent: dict[str, str]) -> None:
    assert _ids(server, model="gpt-4o-mini", user_id="user-a") == [sent["asked"]]
    assert _ids(server, model="gpt-4o-mini", name="job-answered") == [sent["answered"]]
    assert _ids(server, level="error", user_id="user-b") == []
    assert _ids(server, level="default", model="router-auto") == [sent["answered"]]
    assert _ids(server, tags=["all", "asked"]) == [sent["asked"]]
    assert _ids(server, tags="all", model="gpt-4o-mini") == [sent["answered"], sent["asked"]]
    assert _ids(server, tags="x" * 300) == []  # too long for the index: read from the rows
    page = _listed(server, model="gpt-4o-mini", limit=1)
    with server.client() as client:
        first = client.get("/api/v1/traces", params={"model": "gpt-4o-mini", "limit": 1}).json()
        second = client.get(
            "/api/v1/traces", params={"model": "gpt-4o-mini", "limit": 1, "cursor": first["next_cursor"]}
        ).json()
    assert [item["id"] for item in first["data"] + second["data"]] == [sent["answered"], sent["asked"]]
    assert page == [(first["data"][0]["id"], first["data"][0]["timestamp"])]
