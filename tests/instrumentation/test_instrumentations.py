"""The real instrumentation packages, instrumenting the real openai and anthropic clients, into a
real Theodolite server: the stored observations, field by field.

Each package runs in its own venv (scripts/instrumentation-venvs); only the LLM provider is fake,
at its HTTP boundary (tests/support/fake_provider.py). The three packages spell the same calls in
three vocabularies; all three must land as the same canonical observations and the same cost.
"""

from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.fake_provider import ANSWER, FakeProvider
from tests.support.server import SECRET_KEY, TheodoliteServer, fetch_trace, walk

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = Path(__file__).resolve().parent / "clients"
VENVS = ROOT / ".venv-instrumentation"

# Which instrumentation made the LLM spans (otel.scope.name prefix), per client.
SCOPES = {"openinference": "openinference.", "traceloop": "opentelemetry.instrumentation.", "openlit": "openlit."}
OPENAI = {
    "model": "gpt-4o-mini-2024-07-18", "request_model": "gpt-4o-mini", "provider": "openai",
    "prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17, "cache_read_tokens": 2,
    "cost_status": "priced",
}  # fmt: skip
# Anthropic reports cache reads and writes outside input_tokens (100); stored as part of input.
ANTHROPIC = {
    "model": "claude-3-5-sonnet-20241022", "request_model": "claude-3-5-sonnet-20241022", "provider": "anthropic",
    "prompt_tokens": 6100, "completion_tokens": 20, "total_tokens": 6120, "cache_read_tokens": 5000,
    "cache_write_tokens": 1000, "cost_status": "priced",
}  # fmt: skip
# gpt-4o-mini: 10 x $0.15 + 2 cached x $0.075 + 5 x $0.60 per million (openai.com/api/pricing)
OPENAI_COST = Decimal("0.00000465")
# claude-3-5-sonnet: 100 x $3 + 5000 reads x $0.30 + 1000 writes x $3.75 + 20 x $15 per million
ANTHROPIC_COST = Decimal("0.00585")


def run_client(name: str, server: TheodoliteServer) -> dict:
    python = VENVS / name / "bin" / "python"
    assert python.exists(), f"{python} is missing: run ./scripts/instrumentation-venvs (./scripts/test does)"
    with FakeProvider() as provider:
        env = {**os.environ, "THEODOLITE_URL": server.base_url, "THEODOLITE_KEY": SECRET_KEY,
               "FAKE_PROVIDER_URL": provider.url, "PYTHONPATH": str(CLIENTS), "TRACELOOP_TELEMETRY": "false",
               "TRACELOOP_METRICS_ENABLED": "false"}  # fmt: skip
        result = subprocess.run([str(python), str(CLIENTS / f"{name}_client.py")], env=env, capture_output=True,
                                text=True, timeout=120)  # fmt: skip
        assert result.returncode == 0, result.stderr[-4000:]
        # An export the server refused (an unknown path: OpenLIT's logs and metrics) is only logged
        assert "Failed to export" not in result.stderr, result.stderr[-4000:]
        assert {path.rsplit("/", 1)[-1] for path, _ in provider.requests} == {"completions", "messages"}
    trace_id = json.loads(result.stdout.strip().splitlines()[-1])["trace_id"]
    return fetch_trace(server, trace_id)  # the client flushed: its spans were acknowledged after commit


def text_of(value: object) -> str:
    return json.dumps(value)


@pytest.mark.parametrize("name", sorted(SCOPES))
def test_instrumented_calls_are_stored_field_by_field(name: str, sqlite_server: TheodoliteServer) -> None:
    trace = run_client(name, sqlite_server)
    assert (trace["name"], trace["user_id"], trace["session_id"]) == ("handle_question", "u1", "s1")
    assert trace["metadata"]["agent"] == "atlas"
    generations = [node for node in walk(trace["observations"]) if node["type"] == "generation"
                   and (node["attributes"] or {}).get("otel.scope.name", "").startswith(SCOPES[name])]  # fmt: skip
    by_provider = {node["provider"]: node for node in generations}
    assert sorted(by_provider) == ["anthropic", "openai"] and len(generations) == 2, generations

    for node, expected, cost in ((by_provider["openai"], OPENAI, OPENAI_COST),
                                 (by_provider["anthropic"], ANTHROPIC, ANTHROPIC_COST)):  # fmt: skip
        assert {key: node[key] for key in expected} == expected
        assert Decimal(str(node["calculated_total_cost"])) == cost
        assert node["parent_observation_id"] is not None and node["level"] == "DEFAULT"
        assert node["start_time"] <= node["end_time"]
        assert "hi" in text_of(node["input"]) and "You are helpful." in text_of(node["input"])
        assert ANSWER in text_of(node["output"])
    assert by_provider["openai"]["model_parameters"]["temperature"] == 0.2
    assert by_provider["anthropic"]["model_parameters"]["max_tokens"] == 100
    if name == "openinference":
        assert trace["tags"] == ["prod"]
    if name == "openlit":  # OpenLIT sends its own cost (from its price file); it is kept beside ours
        assert Decimal(str(by_provider["openai"]["total_cost"])) == Decimal("0.0000048")
        # `agent` (custom_span_attributes) and `tags` (using_attributes) arrive as bare attributes
        assert trace["tags"] == ["prod"]
        assert not {"agent", "tags"} & set(by_provider["openai"]["attributes"])
        # log_score: a gen_ai.evaluation.result event on /v1/logs, a score of the root span
        [score] = trace["scores"]
        assert (score["name"], score["value"], score["comment"]) == ("helpful", 0.9, "on topic")
        assert score["observation_id"] == trace["root_observation_id"]
        assert score["metadata"]["reviewer"] == "human"
