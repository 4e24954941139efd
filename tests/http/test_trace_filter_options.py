"""GET /api/v1/trace-filter-options: the values the trace list's filters can take (the web UI's
suggestions), checked against what the list and observation APIs return, on both engines."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from tests.conftest import ALL_ENGINES
from tests.support.server import TheodoliteServer

SERVER_ENGINES = ALL_ENGINES  # what any trace store answers: on ClickHouse too


def fill_with_demo(server: TheodoliteServer) -> None:
    # One process writes a SQLite file at a time, and one process opens an embedded ClickHouse
    # directory: the server stops while the demo writes. PostgreSQL takes both.
    with server.stopped_for_cli(sqlite_too=True):
        _run_demo(server)


def _run_demo(server: TheodoliteServer) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "theodolite", "demo", "--no-serve", "--days", "1", "--traces-per-day", "120"]
        + server.cli_options(),
        env={**os.environ, "THEODOLITE_INIT_PROJECT": "test"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def every(client, path: str, **params) -> list[dict]:
    items, cursor = [], None
    for _ in range(100):  # bounded: 100 pages of 500
        response = client.get(path, params={"limit": 500, **params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("more than 100 pages")


def test_the_options_are_the_distinct_values_in_the_range(server: TheodoliteServer) -> None:
    fill_with_demo(server)
    with server.client() as client:
        traces = every(client, "/api/v1/traces")
        observations = every(client, "/api/v1/observations")
        options = client.get("/api/v1/trace-filter-options").json()
        assert options["names"] == sorted({t["name"] for t in traces if t["name"]})
        assert options["environments"] == sorted({t["environment"] for t in traces if t["environment"]})
        assert options["releases"] == sorted({t["release"] for t in traces if t["release"]})
        assert options["models"] == sorted({o["model"] for o in observations if o["model"]})
        assert len(options["models"]) > 3 and options["truncated"] == []

        # A range: only what was seen in it.
        newest = max(datetime.fromisoformat(t["timestamp"]) for t in traces)
        start = (newest - timedelta(hours=2)).astimezone(UTC).isoformat()
        recent = client.get("/api/v1/trace-filter-options", params={"from": start}).json()
        in_range = every(client, "/api/v1/traces", **{"from": start})
        assert recent["names"] == sorted({t["name"] for t in in_range if t["name"]})

        capped = client.get("/api/v1/trace-filter-options", params={"limit": 2}).json()
        assert capped["models"] == options["models"][:2] and "models" in capped["truncated"]

        assert client.get("/api/v1/trace-filter-options", params={"limit": 0}).status_code == 422
    assert server.client(secret="sk-wrong").get("/api/v1/trace-filter-options").status_code == 401
