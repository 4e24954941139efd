"""How `theodolite serve` serves the web UI: the shell for every UI route, hashed assets cached for a
year, the server's own routes untouched, and a clear page when the UI was never built."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from tests.support.server import TheodoliteServer
from theodolite.web import mount_web_ui


@pytest.fixture(scope="module")
def ui_server(built_ui: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TheodoliteServer]:
    workdir = tmp_path_factory.mktemp("ui-serving")
    instance = TheodoliteServer(f"sqlite:///{workdir / 'theodolite.db'}", workdir).start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.mark.parametrize("path", ["/", "/login", "/traces", "/traces/some-trace.id", "/sessions/x/y", "/no/such/page"])
def test_every_ui_path_gets_the_uncached_shell(ui_server: TheodoliteServer, path: str) -> None:
    response = httpx.get(ui_server.base_url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert '<div id="root"></div>' in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_assets_are_hashed_and_cached_for_a_year(ui_server: TheodoliteServer) -> None:
    shell = httpx.get(ui_server.base_url + "/traces").text
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', shell)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets), shell
    for asset in assets:
        assert re.search(r"-[A-Za-z0-9_-]{8}\.(js|css)$", asset), f"{asset} carries no content hash"
        response = httpx.get(ui_server.base_url + asset)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    # No CDN: every script and stylesheet the shell names is served by Theodolite itself.
    assert "http://" not in shell and "https://" not in shell


def test_the_servers_own_routes_are_untouched(ui_server: TheodoliteServer) -> None:
    base = ui_server.base_url
    assert httpx.get(base + "/api/v1/health").json()["status"] == "ok"
    for method, path in [("GET", "/api/v1/no-such-route"), ("POST", "/api/v1/no-such-route"), ("GET", "/v1/nothing")]:
        response = httpx.request(method, base + path)
        assert response.status_code == 404, (method, path)
        assert response.headers["content-type"] == "application/json"
    assert httpx.get(base + "/api/v1/traces").status_code == 401  # still behind a credential
    assert httpx.get(base + "/metrics").headers["content-type"].startswith("text/plain")
    assert "swagger" in httpx.get(base + "/docs").text.lower()
    assert httpx.get(base + "/openapi.json").json()["info"]["title"] == "Theodolite"
    assert httpx.get(base + "/assets/no-such-file.js").status_code == 404


def test_a_server_without_the_built_ui_says_how_to_build_it(tmp_path: Path) -> None:
    app = FastAPI()
    mount_web_ui(app, static_dir=tmp_path / "static")  # never built
    with TestClient(app) as client:
        for path in ("/", "/traces"):
            response = client.get(path)
            assert response.status_code == 503
            assert response.headers["content-type"].startswith("text/html")
            assert "scripts/build-ui" in response.text


def test_the_package_data_carries_every_built_file(built_ui: Path) -> None:
    """Wheels and sdists built after scripts/build-ui carry the UI: pyproject's package-data
    patterns must match every file the build writes (a new sub-folder would need a new pattern)."""
    import tomllib
    from pathlib import PurePosixPath

    patterns = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["tool"][
        "setuptools"
    ]["package-data"]["theodolite.web"]
    built = [p.relative_to(built_ui.parent).as_posix() for p in built_ui.rglob("*") if p.is_file()]
    # PurePosixPath.match, like setuptools' glob, does not let * cross a /.
    missed = [
        f
        for f in built
        if not f.split("/")[-1].startswith(".") and not any(PurePosixPath(f).match(p) for p in patterns)
    ]
    assert built and not missed, missed
