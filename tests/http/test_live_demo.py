"""While the demo serves, live traffic goes through the real pipeline: /metrics moves."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.support.server import TheodoliteServer
from theodolite.demo.traffic import live_batch


def test_live_batches_end_now() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    batch = live_batch(now, random.Random(1))
    assert batch.traces and batch.observations
    latest = max(o.end_time or o.start_time for o in batch.observations)
    assert latest == now and all(o.start_time <= now for o in batch.observations)


def test_the_live_demo_feeds_the_metrics(tmp_path: Path) -> None:
    server = TheodoliteServer(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path, demo_live_interval_s="0.2").start()
    try:
        deadline = time.monotonic() + 30
        generations = 0.0
        while time.monotonic() < deadline and generations == 0:
            text = httpx.get(f"{server.base_url}/metrics", timeout=10).text
            generations = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                              if line.startswith("theodolite_generations_total{"))  # fmt: skip
            time.sleep(0.2)  # polling the exposition with a deadline
        assert generations > 0
        with server.client() as client:
            traces = client.get("/api/v1/traces", params={"limit": 5}).json()["data"]
        assert any(trace["total_cost"] is not None for trace in traces)  # priced like any ingested call
    finally:
        server.stop()
