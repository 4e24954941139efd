"""The web UI's tests need its build: `scripts/build-ui` (a no-op when ui/ has not changed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.chromium import checked_page, chromium
from theodolite.web import STATIC_DIR

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def built_ui() -> Path:
    """The built assets, built now if ui/ changed since the last build."""
    if shutil.which("npm") is None:
        pytest.fail("the web UI tests need Node.js 20+ and npm (scripts/test installs them)")
    result = subprocess.run([str(ROOT / "scripts" / "build-ui")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"scripts/build-ui failed:\n{result.stdout}\n{result.stderr}"
    assert (STATIC_DIR / "index.html").is_file()
    return STATIC_DIR


# --- Browser tests: Playwright driving Debian's chromium (no browser download) ---------------

ADMIN_EMAIL = "ui-admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
DEMO_PROJECT = "test"  # TheodoliteServer's bootstrap project: the demo writes into it
DEMO_DAYS, DEMO_TRACES_PER_DAY = 2, 150


# Module scope, not session: see tests.support.chromium.
@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


@pytest.fixture(scope="module")
def demo_server(built_ui: Path, tmp_path_factory: pytest.TempPathFactory):
    """A real `theodolite serve` on a SQLite file holding `theodolite demo` traffic, with an admin."""
    import os
    import sys

    from tests.support.server import TheodoliteServer

    workdir = tmp_path_factory.mktemp("ui-demo")
    url = f"sqlite:///{workdir / 'theodolite.db'}"
    fill = subprocess.run(
        [sys.executable, "-m", "theodolite", "demo", "--no-serve", "--days", str(DEMO_DAYS)]
        + ["--traces-per-day", str(DEMO_TRACES_PER_DAY), "--database-url", url],
        env={**os.environ, "THEODOLITE_INIT_PROJECT": DEMO_PROJECT},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert fill.returncode == 0, fill.stdout + fill.stderr
    instance = TheodoliteServer(url, workdir, init_admin_email=ADMIN_EMAIL, init_admin_password=ADMIN_PASSWORD).start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def page(browser, demo_server):
    """A fresh browser context (no cookies) on the demo server; fails the test on a page error or a
    CSP refusal."""
    with checked_page(browser, demo_server.base_url, width=1400, height=900, csp=True) as page:
        yield page
