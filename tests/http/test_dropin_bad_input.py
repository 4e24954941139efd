"""Bad input on the Langfuse and LangSmith routes: a clear 4xx naming what was refused, and the
rest of the batch stored all the same."""

from __future__ import annotations

import base64
import uuid

import httpx
import zstandard

from tests.support.server import PUBLIC_KEY, SECRET_KEY, TheodoliteServer, fetch_trace

T0 = "2026-11-30T10:00:00Z"
SDK_ZSTD = zstandard.ZstdCompressor(write_content_size=False)  # as the SDK frames it: no content size


def langfuse(server: TheodoliteServer) -> httpx.Client:
    token = base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
    return httpx.Client(base_url=server.base_url, headers={"Authorization": f"Basic {token}"}, timeout=30)


def langsmith(server: TheodoliteServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers={"x-api-key": SECRET_KEY}, timeout=30)


def test_langfuse_bad_events_are_refused_alone(sqlite_server: TheodoliteServer) -> None:
    trace_id = uuid.uuid4().hex
    batch = [
        {"id": "e1", "type": "trace-create", "timestamp": T0, "body": {"id": trace_id, "name": "kept"}},
        {"id": "e2", "type": "span-create", "timestamp": T0, "body": {"id": "s1", "name": "no trace"}},
        {"id": "e3", "type": "bogus-create", "timestamp": T0, "body": {}},
        {"id": "e4", "type": "span-create", "timestamp": T0,
         "body": {"id": "s2", "traceId": trace_id, "startTime": "soon"}},
        {"id": "e5", "type": "span-create", "timestamp": T0, "body": {"id": "s3", "traceId": trace_id, "name": "c"}},
    ]  # fmt: skip
    with langfuse(sqlite_server) as client:
        response = client.post("/api/public/ingestion", json={"batch": batch})
    assert response.status_code == 207, response.text
    answer = response.json()
    assert [item["id"] for item in answer["successes"]] == ["e1", "e5"]
    errors = {item["id"]: item["message"] for item in answer["errors"]}
    assert set(errors) == {"e2", "e3", "e4"}
    assert "traceId is missing" in errors["e2"] and "bogus-create" in errors["e3"] and "ISO-8601" in errors["e4"]
    trace = fetch_trace(sqlite_server, trace_id)
    assert trace["name"] == "kept" and [child["name"] for child in trace["observations"][0]["children"]] == ["c"]


def test_langfuse_bodies_that_are_no_batch_get_400(sqlite_server: TheodoliteServer) -> None:
    with langfuse(sqlite_server) as client:
        not_json = client.post("/api/public/ingestion", content=b"{", headers={"Content-Type": "application/json"})
        no_batch = client.post("/api/public/ingestion", json={"events": []})
        scores = client.post("/api/public/scores", json=[{"name": "q", "value": 1, "traceId": "t"}, {"value": 2}])
        no_key = httpx.post(f"{sqlite_server.base_url}/api/public/ingestion", json={"batch": []})
        project = client.get("/api/public/projects")
        health = client.get("/api/public/health")
    assert not_json.status_code == 400 and "not JSON" in not_json.text
    assert no_batch.status_code == 400 and "batch" in no_batch.text
    assert scores.status_code == 207 and scores.json()["accepted"] == 1 and scores.json()["rejected"] == 1
    assert no_key.status_code == 401
    assert project.json()["data"][0]["name"] == "test" and health.json()["status"] == "OK"


def test_langsmith_bad_run_is_refused_alone(sqlite_server: TheodoliteServer) -> None:
    root = str(uuid.uuid4())
    good = {"id": root, "trace_id": root, "name": "kept", "run_type": "chain", "start_time": T0, "end_time": T0}
    bad = {"id": str(uuid.uuid4()), "trace_id": root, "parent_run_id": root, "name": "x", "start_time": "soon"}
    with langsmith(sqlite_server) as client:
        response = client.post("/runs/batch", json={"post": [good, bad]})
        not_multipart = client.post("/runs/multipart", content=b"{}", headers={"Content-Type": "application/json"})
        bad_zstd = client.post("/runs/multipart", content=b"not zstd", headers={"Content-Encoding": "zstd"})
        no_feedback_key = client.post("/feedback", json={"id": str(uuid.uuid4()), "run_id": root, "score": 1})
        no_key = httpx.post(f"{sqlite_server.base_url}/runs/batch", json={"post": [good]})
        info = client.get("/info")
    assert response.status_code == 422, response.text
    assert [error["id"] for error in response.json()["errors"]] == [bad["id"]]
    assert "ISO-8601" in response.json()["errors"][0]["message"]
    assert fetch_trace(sqlite_server, root)["name"] == "kept"
    assert not_multipart.status_code == 400 and "multipart/form-data" in not_multipart.text
    assert bad_zstd.status_code == 400 and "zstd" in bad_zstd.text
    assert no_feedback_key.status_code == 422 and "key" in no_feedback_key.text
    assert no_key.status_code == 401
    assert info.json()["instance_flags"]["zstd_compression_enabled"] is True


def test_langsmith_zstd_multipart_applies_post_then_patch(sqlite_server: TheodoliteServer) -> None:
    """The zstd stream carries a run's post and its patch in one body; the patch completes it."""
    run = str(uuid.uuid4())
    parts = [
        ("post." + run, {"id": run, "trace_id": run, "name": "root", "run_type": "chain", "start_time": T0}),
        ("post." + run + ".inputs", {"question": "hi"}),
        ("patch." + run, {"id": run, "trace_id": run, "end_time": "2026-11-30T10:00:01Z"}),
        ("patch." + run + ".outputs", {"output": "hello"}),
    ]
    boundary = uuid.uuid4().hex
    body = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'.encode()
            + b"Content-Type: application/json\r\n\r\n"
            + httpx.Response(200, json=value).content
            + b"\r\n"
            for name, value in parts
        )
        + f"--{boundary}--\r\n".encode()
    )
    compressed = (
        zstandard.ZstdCompressor().compressobj().compress(body) + zstandard.ZstdCompressor().compressobj().flush()
    )
    with langsmith(sqlite_server) as client:
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Encoding": "zstd"}
        response = client.post("/runs/multipart", content=SDK_ZSTD.compress(body), headers=headers)
    assert compressed  # the SDK's own framing has no content size either
    assert response.status_code == 202, response.text
    root = fetch_trace(sqlite_server, run)["observations"][0]
    assert (root["name"], root["input"], root["output"]) == ("root", {"question": "hi"}, {"output": "hello"})
    assert root["end_time"] is not None
