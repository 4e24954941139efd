"""Debian's chromium driven by Playwright (no browser download), for the suite's browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"


@contextmanager
def chromium() -> Iterator:
    """A launched browser, closed after. Open it for a module at most: Playwright's sync API keeps an
    asyncio loop running in this thread while it is open, and later tests that call asyncio.run()
    would fail."""
    from playwright.sync_api import expect, sync_playwright

    # expect() polls up to this long (5 s by default): the machine may be shared and busy.
    expect.set_options(timeout=15_000)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests drive {CHROMIUM}: apt-get install chromium (scripts/test does)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield instance
        finally:
            instance.close()
