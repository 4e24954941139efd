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


@contextmanager
def checked_page(browser, base_url: str, *, width: int, height: int, csp: bool = False) -> Iterator:  # noqa: ANN001
    """A page in a fresh context (no cookies) on `base_url`; after the block, fails the test if the
    page raised a JavaScript error (and, with `csp`, if a Content-Security-Policy refused anything:
    that is only a console message)."""
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    if csp:
        page.on(
            "console",
            lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None,
        )
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors{' or CSP refusals' if csp else ''} on the page: {errors}"
