"""Traces and observations sent through the Langfuse ingestion API, for tests that need a few named traces
(or observations) with an input and an output (annotation queues, their page)."""

from __future__ import annotations

import base64
import uuid

import httpx

from tests.support.server import PUBLIC_KEY, SECRET_KEY, TheodoliteServer


def send_traces(
    server: TheodoliteServer, count: int, name: str, *, question: str = "q{n}", answer: str = "answer {n}"
) -> list[str]:
    """`count` traces named `name`, a second apart; trace n's input is {"question": question} and
    its output `answer`, both formatted with n. Returns their ids."""
    ids = [uuid.uuid4().hex for _ in range(count)]
    events = [
        {"id": uuid.uuid4().hex, "timestamp": "2026-11-30T10:00:00Z", "type": "trace-create",
         "body": {"id": trace_id, "name": name, "timestamp": f"2026-11-30T10:{n // 60:02d}:{n % 60:02d}Z",
                  "input": {"question": question.format(n=n)}, "output": answer.format(n=n)}}
        for n, trace_id in enumerate(ids)
    ]  # fmt: skip
    token = base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Basic {token}"}, timeout=30) as client:
        sent = client.post("/api/public/ingestion", json={"batch": events})
    assert sent.status_code == 207 and sent.json()["errors"] == [], sent.text
    return ids


def send_observations(
    server: TheodoliteServer, count: int, name: str, *, kind: str = "generation", model: str = "gpt-4o-mini",
    level: str = "DEFAULT", trace_id: str | None = None,
) -> list[tuple[str, str]]:  # fmt: skip
    """One trace holding `count` observations named `name` (generations by default), a second apart;
    observation n's input is "prompt n" and its output "completion n". Returns (trace id, observation id)s."""
    trace_id = trace_id or uuid.uuid4().hex
    ids = [uuid.uuid4().hex for _ in range(count)]
    events = [{"id": uuid.uuid4().hex, "timestamp": "2026-11-30T10:00:00Z", "type": "trace-create",
               "body": {"id": trace_id, "name": f"{name}-trace", "timestamp": "2026-11-30T10:00:00Z"}}]  # fmt: skip
    events += [
        {"id": uuid.uuid4().hex, "timestamp": "2026-11-30T10:00:00Z", "type": f"{kind}-create",
         "body": {"id": ident, "traceId": trace_id, "name": name, "model": model, "level": level,
                  "startTime": f"2026-11-30T10:{n // 60:02d}:{n % 60:02d}Z",
                  "input": f"prompt {n}", "output": f"completion {n}"}}
        for n, ident in enumerate(ids)
    ]  # fmt: skip
    token = base64.b64encode(f"{PUBLIC_KEY}:{SECRET_KEY}".encode()).decode()
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Basic {token}"}, timeout=30) as client:
        sent = client.post("/api/public/ingestion", json={"batch": events})
    assert sent.status_code == 207 and sent.json()["errors"] == [], sent.text
    return [(trace_id, ident) for ident in ids]
