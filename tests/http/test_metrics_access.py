"""Who may read /metrics: without a metrics_token only loopback clients; with one, whoever sends
it. Non-loopback clients are simulated in-process (httpx's ASGITransport with a client address on
the real app), so no socket is bound to anything but 127.0.0.1; loopback and token cases go
through a real server."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest

from tests.support.server import TheodoliteServer
from theodolite.server.app import create_app
from theodolite.server.settings import Settings

REMOTE = ("203.0.113.7", 40000)  # TEST-NET-3: documentation addresses, never routed


def in_process_get(
    settings: Settings, client: tuple[str, int], headers: dict[str, str] | None = None
) -> httpx.Response:
    async def get() -> httpx.Response:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=client)
            async with httpx.AsyncClient(transport=transport, base_url="http://theodolite") as http:
                return await http.get("/metrics", headers=headers or {})

    return asyncio.run(get())


def settings_for(tmp_path: Path, **values: object) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'theodolite.db'}", decode_workers=0, **values)


def test_without_a_token_a_remote_client_is_refused_with_the_setting_named(tmp_path: Path) -> None:
    response = in_process_get(settings_for(tmp_path, init_project="secret-project"), REMOTE)
    assert response.status_code == 403
    message = response.json()["error"]["message"]
    assert "THEODOLITE_METRICS_TOKEN" in message and "loopback" in message
    assert "secret-project" not in response.text and "theodolite_" not in response.text


@pytest.mark.parametrize("remote", [("10.1.2.3", 1), ("::ffff:10.0.0.1", 1), ("2001:db8::1", 1)])
def test_private_and_ipv6_clients_are_remote_too(tmp_path: Path, remote: tuple[str, int]) -> None:
    assert in_process_get(settings_for(tmp_path), remote).status_code == 403


def test_loopback_addresses() -> None:
    from theodolite.server.routes.metrics import is_loopback_address

    assert all(map(is_loopback_address, ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"]))
    assert not any(map(is_loopback_address, ["10.0.0.1", "0.0.0.0", "localhost", "", None, "::ffff:10.0.0.1"]))


def test_with_a_token_a_remote_client_needs_it(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, metrics_token="scrape-me")
    assert in_process_get(settings, REMOTE).status_code == 401
    assert in_process_get(settings, REMOTE, {"Authorization": "Bearer wrong"}).status_code == 401
    answered = in_process_get(settings, REMOTE, {"Authorization": "Bearer scrape-me"})
    assert answered.status_code == 200 and "theodolite_build_info" in answered.text


def test_listening_beyond_loopback_without_a_token_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # create_app never binds: the host only decides the warning here.
    with caplog.at_level(logging.WARNING, logger="theodolite"):
        in_process_get(settings_for(tmp_path, host="0.0.0.0"), ("127.0.0.1", 1))
    assert any("THEODOLITE_METRICS_TOKEN" in record.getMessage() for record in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="theodolite"):
        in_process_get(settings_for(tmp_path, host="0.0.0.0", metrics_token="t"), ("127.0.0.1", 1))
        in_process_get(settings_for(tmp_path), ("127.0.0.1", 1))
    assert not any("THEODOLITE_METRICS_TOKEN" in record.getMessage() for record in caplog.records)


def test_a_real_server_answers_loopback_scrapers_without_a_token(tmp_path: Path) -> None:
    server = TheodoliteServer(f"sqlite:///{tmp_path / 'theodolite.db'}", tmp_path).start()
    try:
        response = httpx.get(f"{server.base_url}/metrics", timeout=30)
    finally:
        server.stop()
    assert response.status_code == 200 and "theodolite_project_info" in response.text
