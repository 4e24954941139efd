"""Vendor OTLP traces through a real server, each span in its own request as a non-batching
exporter sends them: what is stored once every part of the trace has been merged."""

from __future__ import annotations

import json

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.support.server import SECRET_KEY, TheodoliteServer, fetch_trace, walk
from tests.support.spans import export_tree


def post_one_span_per_request(server: TheodoliteServer, path: str, request: ExportTraceServiceRequest,
                              headers: dict[str, str], order: list[str]) -> str:  # fmt: skip
    """Posts each span of `request` alone, in the order of their names in `order`; returns the trace id."""
    resource_spans = request.resource_spans[0]
    spans = {span.name: span for span in resource_spans.scope_spans[0].spans}
    for name in order:
        single = ExportTraceServiceRequest()
        part = single.resource_spans.add(resource=resource_spans.resource)
        part.scope_spans.add(scope=resource_spans.scope_spans[0].scope).spans.append(spans[name])
        response = httpx.post(f"{server.base_url}{path}", content=single.SerializeToString(), timeout=30,
                              headers={"Content-Type": "application/x-protobuf", **headers})  # fmt: skip
        assert response.status_code == 200, response.text
    return next(iter(spans.values())).trace_id.hex()


def langsmith_run(kind: str, name: str) -> dict[str, object]:
    return {"langsmith.span.kind": kind, "langsmith.trace.name": name, "gen_ai.system": "langchain",
            "langsmith.metadata.agent": "atlas", "langsmith.metadata.user_id": "u1",
            "langsmith.metadata.thread_id": "s1", "langsmith.metadata.ls_method": "traceable",
            "langsmith.metadata.LANGSMITH_PROJECT": "theodolite-test"}  # fmt: skip


def langsmith_trace() -> ExportTraceServiceRequest:
    return export_tree(("handle_question", langsmith_run("chain", "handle_question")), [
        ("search_docs", langsmith_run("retriever", "search_docs")),
        ("calculator", langsmith_run("tool", "calculator")),
    ], scope="langsmith", resource={"service.name": "langsmith"})  # fmt: skip


def test_langsmith_root_run_names_the_trace_when_its_children_arrive_after_it(sqlite_server: TheodoliteServer) -> None:
    # A child arriving after the root (a root re-sent by a retry, spans of a long trace exported
    # in several batches) must not rename the trace after itself.
    headers = {"x-api-key": SECRET_KEY, "langsmith-project": "theodolite-test"}
    for order in (["search_docs", "handle_question", "calculator"], ["handle_question", "search_docs", "calculator"]):
        trace_id = post_one_span_per_request(sqlite_server, "/otel/v1/traces", langsmith_trace(), headers, order)
        trace = fetch_trace(sqlite_server, trace_id)
        assert (trace["name"], trace["user_id"], trace["session_id"]) == ("handle_question", "u1", "s1"), order
        assert trace["metadata"] == {"agent": "atlas", "service": "langsmith"}
        for node in walk(trace["observations"]):
            assert node["attributes"]["langsmith.metadata.ls_method"] == "traceable"
            assert node["provider"] is None


def test_langfuse_v3_trace_io_is_what_the_trace_shows(sqlite_server: TheodoliteServer) -> None:
    model, usage = "gpt-4o-mini-2024-07-18", json.dumps({"prompt_tokens": 12, "completion_tokens": 5})
    request = export_tree(("handle_question", {
        "langfuse.observation.type": "span", "langfuse.observation.input": json.dumps({"args": ["hi"], "kwargs": {}}),
        "langfuse.trace.input": json.dumps({"question": "hi"}), "langfuse.trace.output": json.dumps("Hello!"),
        "user.id": "u1",
    }), [
        ("openai-auto", {"langfuse.observation.type": "generation", "langfuse.observation.model.name": model,
                         "langfuse.observation.usage_details": usage}),
    ], scope="langfuse-sdk", resource={"service.name": "unknown_service:python"})  # fmt: skip
    headers = {"Authorization": f"Bearer {SECRET_KEY}"}
    trace_id = post_one_span_per_request(sqlite_server, "/api/public/otel/v1/traces", request, headers,
                                         ["openai-auto", "handle_question"])  # fmt: skip
    trace = fetch_trace(sqlite_server, trace_id)
    [root] = trace["observations"]
    assert root["id"] == trace["root_observation_id"]
    assert (root["input"], root["output"]) == ({"question": "hi"}, "Hello!")
    [generation] = root["children"]
    assert (generation["provider"], generation["cost_status"]) == ("openai", "priced")
