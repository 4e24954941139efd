"""Projects are isolated through a real server: one trace id sent by two projects, scores, paging.

A trace id is chosen by the client and W3C trace context crosses services, so two projects can
send spans of the same trace id. Each must see exactly its own trace, and nothing either is
answered may depend on the other's existence.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from tests.conftest import ALL_ENGINES
from tests.support.accounts import new_secret
from tests.support.otlp_bodies import request_of, span
from tests.support.server import SECRET_KEY, TheodoliteServer

SERVER_ENGINES = ALL_ENGINES  # what any trace store answers: on ClickHouse too

PROTOBUF = {"Content-Type": "application/x-protobuf"}


@pytest.fixture(scope="module")
def other_secret(server: TheodoliteServer) -> str:
    """The secret key of a second project on the same server."""
    return new_secret(server, "other")[1]


def export(server: TheodoliteServer, secret: str, body: bytes) -> bytes:
    """POST an OTLP body; returns the answer's bytes, asserting 200 and no partial success."""
    response = httpx.post(
        server.base_url + "/v1/traces", content=body, headers={**PROTOBUF, "Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200, response.text
    assert not ExportTraceServiceResponse.FromString(response.content).HasField("partial_success")
    return response.content


def get(server: TheodoliteServer, secret: str, path: str, **params: object) -> httpx.Response:
    with server.client(secret) as client:
        return client.get(path, params=params)


def view(server: TheodoliteServer, secret: str, trace_id: str, name: str) -> dict:
    """Everything a key reads about one trace id: detail, list and observation list."""
    detail = get(server, secret, f"/api/v1/traces/{trace_id}")
    assert detail.status_code == 200, detail.text
    trace = detail.json()
    listed = get(server, secret, "/api/v1/traces", name=name, limit=500).json()["data"]
    observations = get(server, secret, "/api/v1/observations", trace_id=trace_id, limit=500).json()["data"]
    return {
        "detail": (trace["id"], trace["name"], trace["total_tokens"], trace["observation_count"]),
        "tree": sorted(
            [(node["name"], node["trace_id"]) for node in trace["observations"]]
            + [(child["name"], child["trace_id"]) for node in trace["observations"] for child in node["children"]]
        ),  # fmt: skip
        "listed": [(item["id"], item["name"], item["total_tokens"]) for item in listed],
        "observations": sorted((item["name"], item["trace_id"]) for item in observations),
    }


def expected(trace_id: str, name: str, tokens: tuple[int, int]) -> dict:
    total = sum(tokens)
    return {
        "detail": (trace_id, name, total, 2),
        "tree": [(name, trace_id), (f"{name}-llm", trace_id)],
        "listed": [(trace_id, name, total)],
        "observations": [(name, trace_id), (f"{name}-llm", trace_id)],
    }


@pytest.mark.parametrize("other_first", [False, True], ids=["mine-first", "other-first"])
@pytest.mark.parametrize("split", [False, True], ids=["one-request-each", "interleaved-requests"])
def test_two_projects_sending_one_trace_id_each_see_their_own(
    server: TheodoliteServer, other_secret: str, other_first: bool, split: bool
) -> None:
    trace_id, now = os.urandom(16), time.time_ns()
    unique = uuid.uuid4().hex[:8]
    spans = {}
    for secret, name, tokens in ((SECRET_KEY, f"mine-{unique}", (10, 5)), (other_secret, f"other-{unique}", (100, 50))):
        root = span(trace_id, name, now)
        spans[secret] = (root, span(trace_id, f"{name}-llm", now + 1000, parent=root.span_id, tokens=tokens))
    first, second = (other_secret, SECRET_KEY) if other_first else (SECRET_KEY, other_secret)
    if split:  # child spans first, as exporters send them, then the roots, alternating projects
        sends = [(first, spans[first][1]), (second, spans[second][1]), (first, spans[first][0]),
                 (second, spans[second][0])]  # fmt: skip
        answers = [export(server, secret, request_of(one)) for secret, one in sends]
    else:
        answers = [export(server, secret, request_of(*spans[secret])) for secret in (first, second)]
    # The project that came second is answered exactly as the first: it cannot learn of the other.
    assert set(answers) == {export(server, second, request_of(span(os.urandom(16), "fresh", now)))}
    wire = trace_id.hex()
    assert view(server, SECRET_KEY, wire, f"mine-{unique}") == expected(wire, f"mine-{unique}", (10, 5))
    assert view(server, other_secret, wire, f"other-{unique}") == expected(wire, f"other-{unique}", (100, 50))
    # Neither list holds the other's trace under any name.
    for secret, foreign in ((SECRET_KEY, f"other-{unique}"), (other_secret, f"mine-{unique}")):
        assert get(server, secret, "/api/v1/traces", name=foreign).json()["data"] == []


def test_scores_before_their_trace_stay_in_their_project(server: TheodoliteServer, other_secret: str) -> None:
    trace_id, now = os.urandom(16), time.time_ns()
    wire = trace_id.hex()

    def post_score(secret: str, value: float, score_id: str) -> None:
        with server.client(secret) as client:
            response = client.post(
                "/api/v1/scores", json={"scores": [{"id": score_id, "trace_id": wire, "name": "q", "value": value}]}
            )
        assert response.status_code == 200, response.text

    def scores(secret: str) -> list[tuple[str, float, str]]:
        trace = get(server, secret, f"/api/v1/traces/{wire}").json()
        return sorted((s["id"], s["value"], s["trace_id"]) for s in trace["scores"])

    # Both projects score the trace id before any trace of it exists, with the same score id.
    post_score(SECRET_KEY, 1.0, "feedback")
    post_score(other_secret, -1.0, "feedback")
    export(server, SECRET_KEY, request_of(span(trace_id, "mine", now)))
    assert scores(SECRET_KEY) == [("feedback", 1.0, wire)]
    assert get(server, other_secret, f"/api/v1/traces/{wire}").status_code == 404
    # The other project scores again, then sends its own trace of that id.
    post_score(other_secret, -2.0, "feedback-2")
    export(server, other_secret, request_of(span(trace_id, "theirs", now)))
    assert scores(other_secret) == [("feedback", -1.0, wire), ("feedback-2", -2.0, wire)]
    assert scores(SECRET_KEY) == [("feedback", 1.0, wire)]


def test_trace_list_pages_never_repeat_a_trace_a_late_span_moved(server: TheodoliteServer) -> None:
    name = f"page-{uuid.uuid4().hex[:8]}"
    base = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp() * 1e9)
    minute = 60 * 10**9
    roots = [span(os.urandom(16), name, base + i * minute) for i in range(3)]
    export(server, SECRET_KEY, request_of(*roots))
    order = [root.trace_id.hex() for root in reversed(roots)]  # newest first

    def page(cursor: str | None) -> tuple[list[str], str | None]:
        params = {"name": name, "limit": 2} | ({"cursor": cursor} if cursor else {})
        body = get(server, SECRET_KEY, "/api/v1/traces", **params).json()
        return [item["id"] for item in body["data"]], body["next_cursor"]

    first, cursor = page(None)
    assert first == order[:2]
    # A late span of the newest trace starts before all others: it now sorts below the cursor.
    moved = roots[-1]
    export(server, SECRET_KEY, request_of(span(moved.trace_id, "late", base - minute, parent=moved.span_id)))
    second, cursor = page(cursor)
    assert moved.trace_id.hex() not in second  # plain (timestamp, id) keyset paging returned it again
    assert second == order[2:] and cursor is None
    # A new scroll shows it in its new place.
    fresh, cursor = page(None)
    rest, _ = page(cursor)
    assert fresh + rest == order[1:] + order[:1]
