"""Reads have a time budget, and SIGTERM stops the server in bounded time, over a real server.

The slow read is a legitimate one: the trace list filtered on a model name too long to be indexed
(`storage/facets.py`) looks for it in the observations of every trace, so on a week of demo traffic
it reads the whole database. A budget smaller than that read
stops it with 503 + Retry-After; SIGTERM stops it at once, and ingest in flight is either
committed and acknowledged or never acknowledged.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import new_postgres_database
from tests.support.otlp_bodies import request_with_spans
from tests.support.server import PUBLIC_KEY, SECRET_KEY, TheodoliteServer

# A model name over the facets' 200 characters: the filter reads every trace's observations.
SLOW_READ = ("/api/v1/traces", {"model": "no-such-model-" + "x" * 200, "limit": 1})
INIT = {
    "THEODOLITE_INIT_PROJECT": "test",
    "THEODOLITE_INIT_PUBLIC_KEY": PUBLIC_KEY,
    "THEODOLITE_INIT_SECRET_KEY": SECRET_KEY,
}
HEADERS = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {SECRET_KEY}"}


def build_demo(url: str, traces_per_day: int) -> None:
    """A week of demo traffic (`theodolite demo --no-serve`), in the project the test server's key opens."""
    command = [sys.executable, "-m", "theodolite", "demo", "--days", "7", "--traces-per-day", str(traces_per_day)]
    result = subprocess.run(
        [*command, "--no-serve", "--database-url", url],
        env={**os.environ, **INIT},
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.fixture(scope="module")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    """~21,000 traces and ~115,000 observations: the slow read takes a few hundred milliseconds here."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'theodolite.db'}"
    build_demo(url, 3000)
    return url


@pytest.fixture(scope="module")
def postgres_demo(postgres_server: object) -> str:
    """A small week (300 traces a day): on PostgreSQL the slow read is held by a lock
    (`read_held_open`), not by the data's size (SQLite's week took a minute to build here)."""
    url = new_postgres_database(postgres_server)  # type: ignore[arg-type]
    build_demo(url, 300)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_demo" if request.param == "sqlite" else "postgres_demo")


def started(url: str, workdir: Path, **settings: str) -> TheodoliteServer:
    return TheodoliteServer(url, workdir, **settings).start(deadline_s=120)


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def small_read_passes(client: httpx.Client, attempts: int = 5) -> bool:
    """A one-trace page answers within the 20 ms budget: on a busy machine a new connection's first
    query may not (connecting, planning), so a few tries; a budget that refuses every read fails."""
    return any(client.get("/api/v1/traces", params={"limit": 1}).status_code == 200 for _ in range(attempts))


def test_a_read_over_its_budget_is_stopped_with_503_and_retry_after(demo_url: str, workdir: Path) -> None:
    # 20 ms: far below what reading a week of traffic takes, far above a key lookup.
    server = started(demo_url, workdir, read_timeout_s="0.02", retry_after_s="2")
    try:
        with server.client() as client:
            assert small_read_passes(client)
            with read_held_open(demo_url, server):  # PostgreSQL: the read waits on a lock; SQLite: a week of data
                began = time.monotonic()
                response = client.get(SLOW_READ[0], params=SLOW_READ[1])
                elapsed = time.monotonic() - began
            assert small_read_passes(client)  # the server is fine
    finally:
        server.stop()
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    message = response.json()["error"]["message"]
    assert "read_timeout_s" in message and "0.02 s" in message
    assert elapsed < 10, "the read should stop soon after its budget"


def _poll(condition: object, what: str, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)  # polling with a deadline


@contextmanager
def read_held_open(url: str, server: TheodoliteServer) -> Iterator[Callable[[], bool]]:
    """Yields a check that the slow read is running. On PostgreSQL the read is made to wait for
    as long as the test needs: another connection holds an exclusive lock on `traces` (the read
    waits on it until cancelled), so a fast machine cannot finish it before SIGTERM. SQLite
    readers never wait for a lock (WAL), so there the week of traffic makes the read long."""
    if not url.startswith("postgresql"):
        yield lambda: httpx.get(server.base_url + "/api/v1/health").json()["reads_in_progress"] > 0
        return
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    try:
        # The observer autocommits: within one transaction pg_stat_activity would stay a snapshot.
        with engine.connect() as holder, engine.connect().execution_options(isolation_level="AUTOCOMMIT") as observer:
            holder.execute(text("LOCK TABLE traces IN ACCESS EXCLUSIVE MODE"))  # until the rollback below
            try:
                yield lambda: observer.execute(waiting).scalar_one() > 0
            finally:
                holder.rollback()
    finally:
        engine.dispose()


def test_sigterm_during_a_long_read_stops_the_server_at_once(demo_url: str, workdir: Path) -> None:
    server = started(demo_url, workdir, read_timeout_s="120", shutdown_timeout_s="2")
    answers: dict[str, object] = {}

    def read() -> None:
        try:
            with server.client() as client:
                answers["read"] = client.get(SLOW_READ[0], params=SLOW_READ[1], timeout=120)
        except httpx.TransportError as exc:  # also a refusal: nothing was half-answered
            answers["read"] = exc

    with read_held_open(demo_url, server) as read_is_running:
        reader = threading.Thread(target=read)
        reader.start()
        try:
            _poll(read_is_running, "the read")
            assert reader.is_alive(), "the read finished before SIGTERM: the database is too small to test this"
            assert server.process is not None
            sent = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            server.process.wait(timeout=60)
            took = time.monotonic() - sent
            reader.join(60)
        finally:
            server.stop()
    assert took < 5, f"SIGTERM took {took:.1f} s to stop the server"
    answer = answers["read"]
    assert isinstance(answer, httpx.Response) and answer.status_code == 503, answer
    assert "shutting down" in answer.json()["error"]["message"]


def test_sigterm_during_ingest_stores_everything_it_acknowledged(tmp_path: Path) -> None:
    database = tmp_path / "theodolite.db"
    server = started(f"sqlite:///{database}", tmp_path, shutdown_timeout_s="5")
    acknowledged: list[str] = []
    refused: list[object] = []
    first_answers = threading.Event()
    lock = threading.Lock()

    def send() -> None:
        with httpx.Client(timeout=60) as client:
            for _ in range(2000):  # bounded; ends at the first refusal once the server stops
                body, trace_id = request_with_spans(50, attributes=2, pad_bytes=100)
                try:
                    response = client.post(server.base_url + "/v1/traces", content=body, headers=HEADERS)
                except httpx.TransportError as exc:
                    refused.append(exc)
                    return
                if response.status_code != 200:
                    refused.append(response.status_code)
                    return
                with lock:
                    acknowledged.append(trace_id)
                    if len(acknowledged) >= 20:
                        first_answers.set()

    senders = [threading.Thread(target=send) for _ in range(4)]
    for sender in senders:
        sender.start()
    try:
        assert first_answers.wait(60), "no ingest was acknowledged"
        assert server.process is not None
        sent = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=60)
        took = time.monotonic() - sent
        for sender in senders:
            sender.join(60)
    finally:
        server.stop()
    assert took < 10, f"SIGTERM took {took:.1f} s to stop the server"
    assert refused, "the senders never noticed the shutdown"
    assert all(isinstance(r, httpx.TransportError) or r == 503 for r in refused), refused
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        stored = dict(conn.execute("SELECT trace_id, count(*) FROM observations GROUP BY trace_id").fetchall())
    assert [trace_id for trace_id in acknowledged if stored.get(trace_id) != 50] == []
