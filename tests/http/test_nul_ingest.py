"""U+0000 (NUL) in ingested data: stored with U+FFFD in its place, the same on both engines.

PostgreSQL refuses NUL in `text` and in `jsonb`; one such character used to fail the whole batch
(503, retried forever by the client). Every route sends it here, in every kind of field.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterator

import httpx
from opentelemetry.trace import Status, StatusCode

from tests.conftest import ALL_ENGINES
from tests.support.otel import protobuf_exporter, provider_with
from tests.support.server import PUBLIC_KEY, SECRET_KEY, TheodoliteServer, fetch_trace, walk

SERVER_ENGINES = ALL_ENGINES  # what any trace store answers: on ClickHouse too

T0 = "2026-11-30T10:00:00Z"
NUL, FFFD = "\x00", "\ufffd"


def strings(value: object) -> Iterator[str]:
    """Every string inside a JSON answer, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def assert_no_nul(answer: object) -> None:
    assert not [text for text in strings(answer) if NUL in text]


def langfuse(server: TheodoliteServer) -> httpx.Client:
    token = base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
    return httpx.Client(base_url=server.base_url, headers={"Authorization": f"Basic {token}"}, timeout=30)


def found(server: TheodoliteServer, search: str) -> list[str]:
    with server.client() as client:
        response = client.get("/api/v1/traces", params={"search": search, "from": "2000-01-01T00:00:00Z"})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def test_otlp_spans_from_the_sdk_with_nul_are_stored(server: TheodoliteServer) -> None:
    provider = provider_with(protobuf_exporter(server.base_url + "/v1/traces", SECRET_KEY), **{"app\x00key": "v\x00"})
    tracer = provider.get_tracer("nul-tests")
    attributes = {
        "user.id": "user\x00one",
        "session.id": "session\x00one",
        "tag\x00key": "tag\x00value",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt\x00-4o",
        "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": "zebra\x00q"}]}]),
        "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "a\x00b"}]}]),
    }
    with tracer.start_as_current_span("root\x00span", attributes=attributes) as root:
        root.set_status(Status(StatusCode.ERROR, "broke\x00here"))
        with tracer.start_as_current_span("child\x00span", attributes={"input.value": "plain\x00text"}):
            pass
        trace_id = format(root.get_span_context().trace_id, "032x")
    assert provider.force_flush()
    provider.shutdown()
    trace = fetch_trace(server, trace_id)
    assert_no_nul(trace)
    assert trace["name"] == f"root{FFFD}span"
    assert trace["user_id"] == f"user{FFFD}one" and trace["session_id"] == f"session{FFFD}one"
    nodes = {node["name"]: node for node in walk(trace["observations"])}
    assert set(nodes) == {f"root{FFFD}span", f"child{FFFD}span"}
    assert nodes[f"root{FFFD}span"]["status_message"] == f"broke{FFFD}here"
    assert f"zebra{FFFD}q" in json.dumps(nodes[f"root{FFFD}span"]["input"], ensure_ascii=False)
    assert nodes[f"child{FFFD}span"]["input"] == f"plain{FFFD}text"
    assert trace_id in found(server, "zebra")


def test_raw_otlp_json_with_nul_is_stored(server: TheodoliteServer) -> None:
    trace_id, now = os.urandom(16).hex(), time.time_ns()

    def text(key: str, value: str) -> dict:
        return {"key": key, "value": {"stringValue": value}}

    span = {
        "traceId": trace_id, "spanId": os.urandom(8).hex(), "name": "json\x00span",
        "startTimeUnixNano": str(now), "endTimeUnixNano": str(now + 1000),
        "attributes": [text("meta\x00key", "meta\x00value"), text("input.value", '{"q\\u0000": "w\\u0000"}'),
                       {"key": "list", "value": {"arrayValue": {"values": [{"stringValue": "x\x00"}]}}}],
    }  # fmt: skip
    document = {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}
    with server.client() as client:
        response = client.post("/v1/traces", content=json.dumps(document), headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert "partialSuccess" not in response.json() or not response.json()["partialSuccess"].get("rejectedSpans")
    trace = fetch_trace(server, trace_id)
    assert_no_nul(trace)
    (node,) = walk(trace["observations"])
    assert node["name"] == f"json{FFFD}span"
    assert FFFD in json.dumps(node, ensure_ascii=False)


def test_langfuse_batch_with_nul_everywhere_is_stored(server: TheodoliteServer) -> None:
    trace_id, generation = f"trace-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    nul_trace = f"nul\x00{uuid.uuid4().hex[:8]}"  # an id with a NUL is stored, with U+FFFD in it
    metadata = {"k\x00ey": "v\x00alue", "nested": {"deep\x00": ["l\x00ist", {"x": "y\x00"}]}}
    events = [
        {"type": "trace-create", "body": {
            "id": trace_id, "name": "lf\x00trace", "userId": "u\x00", "sessionId": "s\x00", "tags": ["t\x00ag"],
            "metadata": metadata, "input": {"question": "giraffe\x00neck"}, "output": "an\x00swer",
            "release": "r\x00", "version": "v\x00", "environment": "prod\x00"}},
        {"type": "generation-create", "body": {
            "id": generation, "traceId": trace_id, "name": "gen\x00", "startTime": T0, "model": "gpt-4o-mini\x00",
            "modelParameters": {"temp\x00": "0\x00"}, "input": [{"role": "user", "content": "hi\x00"}],
            "metadata": metadata, "statusMessage": "st\x00atus"}},
        {"type": "generation-update", "body": {"id": generation, "traceId": trace_id, "output": "lat\x00er",
                                               "endTime": T0}},
        {"type": "score-create", "body": {"id": uuid.uuid4().hex, "traceId": trace_id, "name": "verdict\x00",
                                          "value": "go\x00od", "comment": "com\x00ment", "metadata": metadata}},
        {"type": "trace-create", "body": {"id": nul_trace, "name": "nul id"}},
        {"type": "span-create", "body": {"id": "span\x00id", "traceId": nul_trace, "parentObservationId": nul_trace,
                                         "name": "under the nul trace"}},
    ]  # fmt: skip
    batch = [{"id": uuid.uuid4().hex, "timestamp": T0, **event} for event in events]
    with langfuse(server) as client:
        response = client.post("/api/public/ingestion", json={"batch": batch})
        # A later request completes the stored generation: the merge path re-encodes it.
        update = {"id": generation, "traceId": trace_id, "output": "merged\x00output", "metadata": {"m\x00": 1}}
        later = client.post("/api/public/ingestion", json={"batch": [
            {"id": uuid.uuid4().hex, "timestamp": T0, "type": "generation-update", "body": update}]})  # fmt: skip
        scores = client.post("/api/public/scores", json=[{"traceId": trace_id, "name": "api\x00score", "value": 1}])
    assert response.status_code == 207 and response.json()["errors"] == [], response.text
    assert later.status_code == 207 and later.json()["errors"] == [], later.text
    assert scores.status_code == 202, scores.text
    trace = fetch_trace(server, trace_id)
    assert_no_nul(trace)
    assert (trace["name"], trace["user_id"], trace["session_id"]) == (f"lf{FFFD}trace", f"u{FFFD}", f"s{FFFD}")
    assert trace["tags"] == [f"t{FFFD}ag"] and trace["release"] == f"r{FFFD}" and trace["environment"] == f"prod{FFFD}"
    assert trace["metadata"]["nested"] == {f"deep{FFFD}": [f"l{FFFD}ist", {"x": f"y{FFFD}"}]}
    assert trace["metadata"][f"k{FFFD}ey"] == f"v{FFFD}alue"
    nodes = {node["id"]: node for node in walk(trace["observations"])}
    assert nodes[generation]["name"] == f"gen{FFFD}" and nodes[generation]["output"] == f"merged{FFFD}output"
    assert nodes[generation]["input"] == [{"role": "user", "content": f"hi{FFFD}"}]
    assert nodes[generation]["status_message"] == f"st{FFFD}atus"
    assert nodes[trace_id]["input"] == {"question": f"giraffe{FFFD}neck"}
    by_name = {score["name"]: score for score in trace["scores"]}
    assert set(by_name) == {f"verdict{FFFD}", f"api{FFFD}score"}
    assert by_name[f"verdict{FFFD}"]["string_value"] == f"go{FFFD}od"
    assert by_name[f"verdict{FFFD}"]["comment"] == f"com{FFFD}ment"
    assert trace_id in found(server, "giraffe")
    stored_key = nul_trace.replace(NUL, FFFD)
    under_nul_id = fetch_trace(server, stored_key)["observations"]
    assert [node["id"] for node in walk(under_nul_id)] == [stored_key, f"span{FFFD}id"]


def test_langsmith_runs_with_nul_are_stored(server: TheodoliteServer) -> None:
    root = str(uuid.uuid4())
    run = {"id": root, "trace_id": root, "name": "ls\x00run", "run_type": "chain", "start_time": T0, "end_time": T0,
           "inputs": {"q\x00": "hippo\x00"}, "outputs": {"a": "b\x00"}, "tags": ["x\x00"],
           "extra": {"metadata": {"m\x00": "n\x00"}}}  # fmt: skip
    with httpx.Client(base_url=server.base_url, headers={"x-api-key": SECRET_KEY}, timeout=30) as client:
        response = client.post("/runs/batch", json={"post": [run]})
        patch = client.patch(f"/runs/{root}", json={"outputs": {"a": "patched\x00"}, "end_time": T0})
        feedback = client.post("/feedback", json={"id": str(uuid.uuid4()), "run_id": root, "key": "k\x00", "score": 1,
                                                  "comment": "c\x00"})  # fmt: skip
    assert response.status_code < 300, response.text
    assert patch.status_code < 300, patch.text
    assert feedback.status_code < 300, feedback.text
    trace = fetch_trace(server, root)
    assert_no_nul(trace)
    assert trace["name"] == f"ls{FFFD}run"
    (node,) = walk(trace["observations"])
    assert node["input"] == {f"q{FFFD}": f"hippo{FFFD}"} and node["output"] == {"a": f"patched{FFFD}"}
    assert [(score["name"], score["comment"]) for score in trace["scores"]] == [(f"k{FFFD}", f"c{FFFD}")]


def test_reads_naming_a_nul_find_what_was_stored(server: TheodoliteServer) -> None:
    """A client reads back with the NUL it sent: the path and query read it as U+FFFD, on both
    engines (PostgreSQL's driver refused NUL in a query parameter: a 500)."""
    trace_id, user = f"read\x00{uuid.uuid4().hex[:8]}", f"reader\x00{uuid.uuid4().hex[:8]}"
    event = {"id": uuid.uuid4().hex, "timestamp": T0, "type": "trace-create",
             "body": {"id": trace_id, "name": "read back", "userId": user, "tags": ["r\x00"]}}  # fmt: skip
    with langfuse(server) as client:
        assert client.post("/api/public/ingestion", json={"batch": [event]}).status_code == 207
    stored_id = trace_id.replace(NUL, FFFD)
    with server.client() as client:
        by_path = client.get(f"/api/v1/traces/{trace_id.replace(NUL, '%00')}")
        listed = client.get("/api/v1/traces", params={"user_id": user, "from": "2000-01-01T00:00:00Z"})
        tagged = client.get("/api/v1/traces", params={"tags": "r\x00", "from": "2000-01-01T00:00:00Z"})
        observations = client.get("/api/v1/observations", params={"trace_id": trace_id, "from": "2000-01-01T00:00:00Z"})
        missing = client.get("/api/v1/traces/none%00such")
    assert by_path.status_code == 200 and by_path.json()["id"] == stored_id, by_path.text
    assert [item["id"] for item in listed.json()["data"]] == [stored_id], listed.text
    assert stored_id in [item["id"] for item in tagged.json()["data"]], tagged.text
    assert [item["id"] for item in observations.json()["data"]] == [stored_id], observations.text
    assert missing.status_code == 404, missing.text


def test_server_survives_all_of_the_above(server: TheodoliteServer) -> None:
    assert server.process is not None and server.process.poll() is None
    with server.client() as client:
        assert client.get("/api/v1/health").status_code == 200
