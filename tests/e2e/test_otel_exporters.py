"""The real OpenTelemetry SDK exporters -> a real `theodolite serve` -> the tree read back is exact."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import ALL_ENGINES
from tests.support.otel import json_exporter, protobuf_exporter, provider_with, send_reference_trace
from tests.support.server import SECRET_KEY, TheodoliteServer

SERVER_ENGINES = ALL_ENGINES  # what any trace store answers: on ClickHouse too

EXPORTERS = {
    "protobuf": lambda url: protobuf_exporter(url, SECRET_KEY),
    "protobuf+gzip": lambda url: protobuf_exporter(url, SECRET_KEY, gzip=True),
    "json": lambda url: json_exporter(url, SECRET_KEY),
}
PATHS = ["/v1/traces", "/api/public/otel/v1/traces", "/otel/v1/traces"]


def _walk(nodes: list[dict]) -> list[dict]:
    out = []
    for node in nodes:
        out.append(node)
        out.extend(_walk(node["children"]))
    return out


@pytest.mark.parametrize("wire", list(EXPORTERS))
def test_reference_trace_round_trips_exactly(server: TheodoliteServer, wire: str) -> None:
    provider = provider_with(EXPORTERS[wire](server.base_url + "/v1/traces"), **{"service.version": "rel-42"})
    trace_id = send_reference_trace(provider)
    provider.shutdown()

    with server.client() as client:
        response = client.get(f"/api/v1/traces/{trace_id}")
    assert response.status_code == 200, response.text
    trace = response.json()
    assert trace["name"] == "handle_question"
    assert (trace["user_id"], trace["session_id"], trace["release"]) == ("u1", "s1", "rel-42")
    assert trace["metadata"] == {"agent": "atlas", "service": "test-app"}
    assert (trace["observation_count"], trace["total_tokens"], trace["error_count"]) == (4, 17, 1)

    [root] = trace["observations"]
    assert root["id"] == trace["root_observation_id"]
    assert root["input"] == {"question": "hi"}
    children = root["children"]
    assert [c["name"] for c in children] == ["search_docs", "calculator", "chat gpt-4o-mini"]
    assert all(c["parent_observation_id"] == root["id"] and c["children"] == [] for c in children)
    retriever, tool, llm = children
    assert retriever["type"] == "span"  # "retrieve" is not a GenAI operation name the core maps
    assert tool["type"] == "tool"
    assert (tool["level"], tool["status_message"]) == ("ERROR", "calculator exploded")
    assert llm["type"] == "generation"
    assert (llm["model"], llm["request_model"], llm["provider"]) == ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", "openai")
    assert (llm["prompt_tokens"], llm["completion_tokens"], llm["total_tokens"], llm["cache_read_tokens"]) == (
        12,
        5,
        17,
        2,
    )
    assert llm["model_parameters"] == {"temperature": 0.2}
    assert llm["input"][1] == {"role": "user", "parts": [{"type": "text", "content": "hi"}]}
    assert llm["output"][0]["parts"][0]["content"] == "Hello! How can I help?"
    # gpt-4o-mini at $0.15 input, $0.075 cached input, $0.60 output per million tokens
    # (openai.com/api/pricing): 10 x 0.15 + 2 x 0.075 + 5 x 0.60 = 4.65 millionths of a dollar.
    assert llm["cost_status"] == "priced"
    assert Decimal(str(llm["calculated_total_cost"])) == Decimal("0.00000465")
    assert llm["source"] == "provider"
    for node in _walk(trace["observations"]):
        assert node["start_time"] <= node["end_time"]


@pytest.mark.parametrize("path", PATHS)
def test_vendor_otlp_paths_store_the_same_trace(server: TheodoliteServer, path: str) -> None:
    provider = provider_with(protobuf_exporter(server.base_url + path, SECRET_KEY))
    trace_id = send_reference_trace(provider)
    provider.shutdown()
    with server.client() as client:
        assert client.get(f"/api/v1/traces/{trace_id}").json()["observation_count"] == 4
