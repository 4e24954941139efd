"""A real `theodolite serve` subprocess on 127.0.0.1 and a free port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx

from tests.support.postgres import free_port

PUBLIC_KEY = "pk-test"
SECRET_KEY = "sk-test-secret"


class TheodoliteServer:
    def __init__(self, database_url: str, workdir: Path, **settings: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.log_path = workdir / f"server-{self.port}.log"
        self.env = {
            **os.environ,
            "THEODOLITE_INIT_PROJECT": "test",
            "THEODOLITE_INIT_PUBLIC_KEY": PUBLIC_KEY,
            "THEODOLITE_INIT_SECRET_KEY": SECRET_KEY,
            **{f"THEODOLITE_{key.upper()}": value for key, value in settings.items()},
        }
        self.metadata_url = settings.get("metadata_url")  # beside a ClickHouse trace store
        self.process: subprocess.Popen[bytes] | None = None

    @contextmanager
    def stopped_for_cli(self, *, sqlite_too: bool = False) -> Iterator[None]:
        """Stopped while the block runs a CLI command on its stores, where two processes cannot open
        them at once: an embedded ClickHouse directory (chdb); a SQLite file's writer
        (`sqlite_too`, `storage/writer_lease.py`). Started again after, on the same port."""
        exclusive = self.database_url.startswith(("chdb", *(("sqlite",) if sqlite_too else ())))
        if exclusive:
            self.stop()
        try:
            yield
        finally:
            if exclusive:
                self.start(deadline_s=60)

    def cli_options(self) -> list[str]:
        """The `theodolite` CLI's options naming this server's stores."""
        return [
            "--database-url",
            self.database_url,
            *(["--metadata-url", self.metadata_url] if self.metadata_url else []),
        ]

    def start(self, deadline_s: float = 30.0) -> TheodoliteServer:
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "theodolite",
                "serve",
                "--port",
                str(self.port),
                "--database-url",
                self.database_url,
            ],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/api/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # polling a readiness probe with a deadline, not synchronising on time
        raise RuntimeError(f"server not ready after {deadline_s}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def client(self, secret: str = SECRET_KEY) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {secret}"}, timeout=30)

    def stop(self) -> int | None:
        if self.process is None:
            return None
        self.process.terminate()
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(timeout=10)
        self._log.close()
        return code


def fetch_trace(server: TheodoliteServer, trace_id: str) -> dict:
    """One trace with its observation tree, through the query API."""
    with server.client() as client:
        response = client.get(f"/api/v1/traces/{trace_id}")
    assert response.status_code == 200, response.text
    return response.json()


def walk(nodes: list[dict]) -> Iterator[dict]:
    """Every observation of a tree, depth first."""
    for node in nodes:
        yield node
        yield from walk(node["children"])


@contextmanager
def demo_server(
    workdir: Path, *, now: datetime, days: int, traces_per_day: int, seed: int
) -> Iterator[TheodoliteServer]:
    """A server on a SQLite file holding demo traffic up to `now`, in the project its key opens."""
    from theodolite.cli.demo_command import write_demo
    from theodolite.server.settings import Settings
    from theodolite.storage.engine import open_database
    from theodolite.storage.metadata.projects import get_or_create_project

    url = f"sqlite:///{workdir / 'theodolite.db'}"
    database = open_database(url, migrate=True)
    try:
        project_id, _ = get_or_create_project(database, "test")  # the project the server's key opens
        write_demo(database, project_id, now=now, days=days, traces_per_day=traces_per_day, seed=seed,
                   settings=Settings())  # fmt: skip
    finally:
        database.dispose()
    instance = TheodoliteServer(url, workdir).start()
    try:
        yield instance
    finally:
        instance.stop()
