"""Take the docs' screenshots of the web UI (run through scripts/screenshots)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.server import TheodoliteServer  # noqa: E402  (the suite's server harness)

IMAGES = ROOT / "docs" / "images"
EMAIL, PASSWORD = "screenshots@example.com", "screenshots-password"


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{workdir / 'demo.db'}"
        subprocess.run(
            [sys.executable, "-m", "theodolite", "demo", "--no-serve", "--days", "3", "--database-url", url],
            env={**os.environ, "THEODOLITE_INIT_PROJECT": "demo"},
            check=True,
            capture_output=True,
        )
        server = TheodoliteServer(
            url, workdir, init_project="demo", init_admin_email=EMAIL, init_admin_password=PASSWORD
        ).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
                page = browser.new_page(base_url=server.base_url, viewport={"width": 1440, "height": 860})
                page.goto("/login")
                page.get_by_label("Email or user name").fill(EMAIL)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                expect(page.get_by_test_id("list-status")).to_contain_text("scroll for more")
                page.keyboard.press("j")
                page.keyboard.press("j")
                page.screenshot(path=str(IMAGES / "traces.png"))
                print(f"wrote {IMAGES / 'traces.png'}")
                # Sorted by cost, the slow ones only (a header click and a filter, both in the URL).
                page.goto("/traces?latency_min=5&sort=cost&order=desc")
                expect(page.get_by_test_id("list-status")).to_contain_text("trace")
                page.screenshot(path=str(IMAGES / "traces-sorted.png"))
                print(f"wrote {IMAGES / 'traces-sorted.png'}")
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
