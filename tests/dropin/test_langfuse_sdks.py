"""The real Langfuse SDKs, unchanged, pointed at Theodolite: v2 (ingestion batches), v3 and v5
(OTLP, scores through ingestion and /api/public/scores)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dropin.sdk_runs import assert_application_trace, assert_no_server_trouble, run_sdk, scores_of
from tests.support.server import TheodoliteServer, fetch_trace


@pytest.mark.parametrize("client", ["langfuse2", "langfuse3", "langfuse5"])
def test_langfuse_sdk_trace_and_score_are_stored(client: str, sqlite_server: TheodoliteServer) -> None:
    trace_id, stderr = run_sdk(sqlite_server, client)
    assert_no_server_trouble(stderr)
    # Langfuse v2 has no retriever or tool types: its spans are spans.
    kinds = {"tool_type": "span", "retriever_type": "span"} if client == "langfuse2" else {}
    assert_application_trace(sqlite_server, trace_id, **kinds)
    scores = [(s["name"], s["value"], s["comment"]) for s in scores_of(sqlite_server, trace_id)]
    assert scores == [("quality", 0.9, "good")]


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[TheodoliteServer]:
    """A server of its own: the module's shared one holds scores named as the SDK's already."""
    server = TheodoliteServer(f"sqlite:///{tmp_path / 'theodolite.db'}", tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


def test_langfuse_v2_score_names_its_config_by_id(fresh_server: TheodoliteServer) -> None:
    """`score(config_id=...)` as the SDK sends it: the config of that id checks the score and is
    stored with it; a value outside its range is refused, the rest of the batch kept."""
    sqlite_server = fresh_server
    client = sqlite_server.client()

    body = {"name": "quality", "data_type": "NUMERIC", "min_value": 0, "max_value": 0.5}  # the SDK's score is 0.9
    created = client.post("/api/v1/score-configs", json=body)
    assert created.status_code == 201, created.text
    strict = created.json()
    trace_id, stderr = run_sdk(sqlite_server, "langfuse2", THEODOLITE_SCORE_CONFIG_ID=str(strict["id"]))
    refused = fetch_trace(sqlite_server, trace_id)
    assert refused["scores"] == [] and refused["name"] == "handle_question"
    # no score of its name is stored yet, so its rules may still change
    widened = client.patch(f"/api/v1/score-configs/{strict['id']}", json={"max_value": 1})
    assert widened.status_code == 200, widened.text
    trace_id, stderr = run_sdk(sqlite_server, "langfuse2", THEODOLITE_SCORE_CONFIG_ID=str(strict["id"]))
    assert_no_server_trouble(stderr)
    kept = [(s["name"], s["value"], s["config_id"]) for s in fetch_trace(sqlite_server, trace_id)["scores"]]
    assert kept == [("quality", 0.9, str(strict["id"]))]
    # the id is read, not only the name: one the project has no config of refuses a score its name's config takes
    trace_id, _ = run_sdk(sqlite_server, "langfuse2", THEODOLITE_SCORE_CONFIG_ID="999999")
    assert fetch_trace(sqlite_server, trace_id)["scores"] == []
