"""Signing in to a real server, and the real `theodolite` CLI, for the web sign-in tests."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.support.server import TheodoliteServer


def cli(target: str | TheodoliteServer, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`theodolite <args> --database-url <url>` in a subprocess, on a database URL or a server's
    stores (its metadata store too, beside ClickHouse); asserts nothing."""
    options = target.cli_options() if isinstance(target, TheodoliteServer) else ["--database-url", target]
    return subprocess.run(
        [sys.executable, "-m", "theodolite", *args, *options],
        input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def cli_ok(target: str | TheodoliteServer, *args: str, stdin: str | None = None) -> str:
    result = cli(target, *args, stdin=stdin)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def new_secret(target: str | TheodoliteServer, project: str) -> tuple[str, str]:
    """(public key, secret) of a new key of `project` (created if missing), through the CLI."""
    lines = dict(line.split(": ", 1) for line in cli_ok(target, "keys", "create", "--project", project).splitlines())
    return lines["public key"].strip(), lines["secret key"].strip()


def login(server: TheodoliteServer, login: str, password: str, **headers: str) -> httpx.Response:
    return httpx.post(f"{server.base_url}/api/v1/auth/login", json={"login": login, "password": password},
                      headers=headers, timeout=30)  # fmt: skip


def sign_in(server: TheodoliteServer, login_: str, password: str) -> httpx.Client:
    """A client holding the session and CSRF cookies of a fresh sign-in."""
    response = login(server, login_, password)
    assert response.status_code == 200, response.text
    return httpx.Client(base_url=server.base_url, cookies=response.cookies, timeout=30)


def csrf(client: httpx.Client) -> dict[str, str]:
    """The header a state-changing request of this session needs."""
    return {"X-CSRF-Token": client.cookies["theodolite_csrf"]}
