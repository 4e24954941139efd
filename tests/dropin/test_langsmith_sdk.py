"""The real LangSmith SDK, unchanged, pointed at Theodolite in its delivery modes: multipart
(what GET /info selects: zstd), uncompressed multipart, the JSON batch, and OTel."""

from __future__ import annotations

import pytest

from tests.dropin.sdk_runs import (
    assert_application_trace,
    assert_no_server_trouble,
    run_sdk,
    run_sdk_report,
    scores_of,
)
from tests.support.server import TheodoliteServer


@pytest.mark.parametrize("mode", ["default", "multipart", "zstd", "batch", "runs", "slow"])
def test_langsmith_runs_and_feedback_are_stored(mode: str, sqlite_server: TheodoliteServer) -> None:
    trace_id, stderr = run_sdk(sqlite_server, "langsmith", mode)
    assert_no_server_trouble(stderr)
    trace = assert_application_trace(sqlite_server, trace_id)
    assert trace["metadata"]["langsmith_project"] == "theodolite-test"
    assert not any(key.startswith(("LANGSMITH_", "ls_")) or key == "usage_metadata" for key in trace["metadata"])
    scores = [(s["name"], s["value"], s["comment"]) for s in scores_of(sqlite_server, trace_id)]
    assert scores == [("quality", 0.9, "good")]


def test_langsmith_otel_mode_is_stored(sqlite_server: TheodoliteServer) -> None:
    trace_id, stderr = run_sdk(sqlite_server, "langsmith", "otel")
    assert_no_server_trouble(stderr)
    assert_application_trace(sqlite_server, trace_id)


def test_langsmith_hybrid_mode_stores_both_copies_whole(sqlite_server: TheodoliteServer) -> None:
    """Hybrid mode sends every run natively and over OTLP, under unrelated ids (the SDK's own
    doing): pointed at one Theodolite, each copy is a whole trace of its own (README)."""
    report, stderr = run_sdk_report(sqlite_server, "langsmith", "hybrid")
    assert_no_server_trouble(stderr)
    assert_application_trace(sqlite_server, report["trace_id"])
    assert_application_trace(sqlite_server, report["otel_trace_id"])
