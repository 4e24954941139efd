"""The real Langfuse SDKs, unchanged, pointed at Theodolite: v2 (ingestion batches), v3 and v5
(OTLP, scores through ingestion and /api/public/scores)."""

from __future__ import annotations

import pytest

from tests.dropin.sdk_runs import assert_application_trace, assert_no_server_trouble, run_sdk, scores_of
from tests.support.server import TheodoliteServer


@pytest.mark.parametrize("client", ["langfuse2", "langfuse3", "langfuse5"])
def test_langfuse_sdk_trace_and_score_are_stored(client: str, sqlite_server: TheodoliteServer) -> None:
    trace_id, stderr = run_sdk(sqlite_server, client)
    assert_no_server_trouble(stderr)
    # Langfuse v2 has no retriever or tool types: its spans are spans.
    kinds = {"tool_type": "span", "retriever_type": "span"} if client == "langfuse2" else {}
    assert_application_trace(sqlite_server, trace_id, **kinds)
    scores = [(s["name"], s["value"], s["comment"]) for s in scores_of(sqlite_server, trace_id)]
    assert scores == [("quality", 0.9, "good")]
