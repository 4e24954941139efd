"""Running the real Langfuse and LangSmith SDKs (each pinned in its own venv, built by
scripts/instrumentation-venvs) against a Theodolite server, and what every run must store."""

from __future__ import annotations

import json
import os
import re
import subprocess
from decimal import Decimal
from pathlib import Path

from tests.support.server import PUBLIC_KEY, SECRET_KEY, TheodoliteServer, fetch_trace, walk

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "tests" / "instrumentation" / "clients"
VENVS = ROOT / ".venv-instrumentation"
# What an SDK logs when the server refused or failed something; none may appear.
SERVER_TROUBLE = re.compile(r"WARNING|ERROR|Traceback|\b[45]\d\d\b|refused|failed", re.IGNORECASE)
# gpt-4o-mini: 10 x $0.15 + 2 cached x $0.075 + 5 x $0.60 per million
COST = Decimal("0.00000465")


def run_sdk(server: TheodoliteServer, client: str, *args: str, **env: str) -> tuple[str, str]:
    """Run one client script in its SDK's venv; returns (the trace id it reports, its stderr)."""
    report, stderr = run_sdk_report(server, client, *args, **env)
    return report["trace_id"], stderr


def run_sdk_report(server: TheodoliteServer, client: str, *args: str, **env: str) -> tuple[dict, str]:
    """Run one client script in its SDK's venv; returns (its last line of output, its stderr)."""
    venv = client.split("_", 1)[0]
    python = VENVS / venv / "bin" / "python"
    assert python.exists(), f"{python} is missing: run ./scripts/instrumentation-venvs (./scripts/test does)"
    environment = {**os.environ, "THEODOLITE_URL": server.base_url, "THEODOLITE_KEY": SECRET_KEY,
                   "THEODOLITE_PUBLIC_KEY": PUBLIC_KEY, "PYTHONPATH": str(CLIENTS), **env}  # fmt: skip
    result = subprocess.run([str(python), str(CLIENTS / f"{client}_client.py"), *args], env=environment,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def assert_no_server_trouble(stderr: str) -> None:
    lines = [line for line in stderr.splitlines() if SERVER_TROUBLE.search(line)]
    assert not lines, "\n".join(lines[:20])


def assert_application_trace(server: TheodoliteServer, trace_id: str, *, tool_type: str = "tool",
                             retriever_type: str = "retriever") -> dict:  # fmt: skip
    """The application trace every client script sends, field by field."""
    trace = fetch_trace(server, trace_id)
    assert (trace["name"], trace["user_id"], trace["session_id"]) == ("handle_question", "u1", "s1")
    assert "prod" in trace["tags"]
    assert trace["metadata"]["agent"] == "atlas"
    roots = trace["observations"]
    assert [root["name"] for root in roots] == ["handle_question"], roots
    root = roots[0]
    assert "hi" in json.dumps(root["input"]) and "Hello! How can I help?" in json.dumps(root["output"])
    nodes = {node["name"]: node for node in walk(roots)}
    children = {child["name"] for child in root["children"]}
    assert {"search_docs", "calculator", "chat"} <= children, children
    retriever = nodes["search_docs"]
    assert retriever["type"] == retriever_type and "Atlas answers" in json.dumps(retriever["output"])
    tool = nodes["calculator"]
    assert (tool["type"], tool["level"]) == (tool_type, "ERROR")
    assert "calculator exploded" in (tool["status_message"] or "")
    chat = nodes["chat"]
    assert chat["type"] == "generation" and chat["model"].startswith("gpt-4o-mini") and chat["provider"] == "openai"
    usage = (chat["prompt_tokens"], chat["completion_tokens"], chat["total_tokens"], chat["cache_read_tokens"])
    assert usage == (12, 5, 17, 2)
    assert chat["cost_status"] == "priced" and Decimal(str(chat["calculated_total_cost"])) == COST
    assert chat["end_time"] is not None and chat["start_time"] <= chat["end_time"]
    assert "You are helpful." in json.dumps(chat["input"]) and "Hello! How can I help?" in json.dumps(chat["output"])
    return trace


def scores_of(server: TheodoliteServer, trace_id: str) -> list[dict]:
    with server.client() as client:
        response = client.get(f"/api/v1/traces/{trace_id}")
    assert response.status_code == 200, response.text
    return response.json()["scores"]
