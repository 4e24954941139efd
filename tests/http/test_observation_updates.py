"""An observation completed by a later request (a Langfuse update, a LangSmith patch): merged into
the stored one, its trace's totals recomputed, counted in /metrics once, a retry stored once."""

from __future__ import annotations

import base64
import time
import uuid
from decimal import Decimal

import httpx

from tests.conftest import ALL_ENGINES
from tests.support.server import PUBLIC_KEY, SECRET_KEY, TheodoliteServer, fetch_trace

SERVER_ENGINES = ALL_ENGINES  # what any trace store answers: on ClickHouse too

T0 = "2026-11-30T10:00:00Z"
# gpt-4o-mini: 10 x $0.15 + 2 cached x $0.075 + 5 x $0.60 per million
COST = Decimal("0.00000465")


def langfuse(server: TheodoliteServer) -> httpx.Client:
    token = base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
    return httpx.Client(base_url=server.base_url, headers={"Authorization": f"Basic {token}"}, timeout=30)


def ingest(server: TheodoliteServer, *events: dict) -> None:
    batch = [{"id": uuid.uuid4().hex, "timestamp": T0, **event} for event in events]
    with langfuse(server) as client:
        response = client.post("/api/public/ingestion", json={"batch": batch})
    assert response.status_code == 207 and response.json()["errors"] == [], response.text


def listed(server: TheodoliteServer, trace_id: str, tokens: int) -> dict:
    """The trace's row in the list once its totals show `tokens` (SQLite derives them after the
    commit): polled with a deadline."""
    deadline = time.monotonic() + 20
    with server.client() as client:
        while True:
            rows = client.get("/api/v1/traces", params={"from": "2026-11-30T00:00:00Z", "limit": 100}).json()["data"]
            row = next((row for row in rows if row["id"] == trace_id), None)
            if row is not None and row["total_tokens"] == tokens:
                return row
            assert time.monotonic() < deadline, row
            time.sleep(0.05)  # polling with a deadline


def generations_counted(server: TheodoliteServer) -> float:
    with server.client() as client:
        text = client.get("/metrics").text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("theodolite_observations_total{") and 'type="generation"' in line)  # fmt: skip


def test_an_update_in_a_later_request_completes_the_stored_observation(server: TheodoliteServer) -> None:
    trace_id, generation = uuid.uuid4().hex, uuid.uuid4().hex
    counted = generations_counted(server)
    ingest(
        server,
        {"type": "trace-create", "body": {"id": trace_id, "name": "ask", "timestamp": T0, "input": "hi"}},
        {"type": "generation-create", "body": {"id": generation, "traceId": trace_id, "name": "chat",
                                               "startTime": T0, "model": "gpt-4o-mini", "input": "hi"}},
    )  # fmt: skip
    assert generations_counted(server) == counted  # not ended: not counted yet
    update = {"type": "generation-update", "body": {
        "id": generation, "traceId": trace_id, "endTime": "2026-11-30T10:00:02Z", "output": "hello",
        "usageDetails": {"prompt_tokens": 12, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 2}},
    }}  # fmt: skip
    ingest(server, update)
    ingest(server, update)  # the client's retry
    ingest(server, {"type": "trace-create", "body": {"id": trace_id, "output": "hello"}})
    trace = fetch_trace(server, trace_id)
    [root] = trace["observations"]
    assert (root["name"], root["input"], root["output"]) == ("ask", "hi", "hello")
    [chat] = root["children"]
    assert (chat["input"], chat["output"], chat["end_time"]) == ("hi", "hello", "2026-11-30T10:00:02Z")
    assert (chat["model"], chat["prompt_tokens"], chat["completion_tokens"], chat["cache_read_tokens"]) == (
        "gpt-4o-mini", 12, 5, 2)  # fmt: skip
    # Priced again: the model came with the create, the usage with the update.
    assert chat["cost_status"] == "priced" and Decimal(str(chat["calculated_total_cost"])) == COST
    row = listed(server, trace_id, 17)
    assert (row["observation_count"], row["input_tokens"], row["output_tokens"]) == (2, 12, 5)
    assert Decimal(str(row["total_cost"])) == COST and row["latency_s"] == 2.0
    assert generations_counted(server) == counted + 1  # once, when it ended
    # The analytics rollups took the stored version's cell away before adding the merged one.
    window = {"from": "2026-11-30T09:00:00Z", "to": "2026-11-30T11:00:00Z", "interval": "total", "name": "chat"}
    with server.client() as client:

        def metric(measure: str, **more: str) -> float:
            rows = client.get("/api/v1/analytics/metrics", params={"measure": measure, **window, **more}).json()
            return rows[0]["value"]

        assert metric("observation_count") == 1 and metric("total_tokens") == 17
        assert Decimal(str(metric("cost"))) == COST
        assert abs(metric("latency", aggregation="max") - 2000) <= 20  # the histograms' 1 %


def test_a_langsmith_patch_in_a_later_request_completes_the_run(server: TheodoliteServer) -> None:
    run = str(uuid.uuid4())
    with httpx.Client(base_url=server.base_url, headers={"x-api-key": SECRET_KEY}, timeout=30) as client:
        created = client.post("/runs", json={"id": run, "trace_id": run, "name": "root", "run_type": "chain",
                                             "start_time": T0, "inputs": {"q": "hi"}})  # fmt: skip
        patched = client.patch(f"/runs/{run}", json={"id": run, "trace_id": run, "parent_run_id": None,
                                                    "end_time": "2026-11-30T10:00:01Z", "outputs": {"a": "hello"},
                                                    "error": "ValueError('boom')\n\nTraceback ..."})  # fmt: skip
    assert (created.status_code, patched.status_code) == (202, 202)
    [root] = fetch_trace(server, run)["observations"]
    assert (root["name"], root["input"], root["output"]) == ("root", {"q": "hi"}, {"a": "hello"})
    assert (root["level"], root["status_message"], root["end_time"]) == ("ERROR", "ValueError('boom')",
                                                                         "2026-11-30T10:00:01Z")  # fmt: skip
    assert listed(server, run, 0)["error_count"] == 1
