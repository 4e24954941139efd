"""/live and /costs in a real browser (Debian's chromium through Playwright) against a real
`theodolite serve` holding demo traffic: the live page changes by itself when a trace arrives
(sent during the test by the OpenTelemetry SDK's OTLP exporter), its window lives in the URL; the
cost page shows unpriced and not-billed calls apart, never as $0.

No sleeps: expect() polls with a deadline."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from tests.support.otel import protobuf_exporter, provider_with
from tests.support.server import SECRET_KEY, TheodoliteServer
from tests.ui.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

UNPRICED_MODEL = "orbit-7b-instruct"  # the demo's self-hosted model: no price table knows it


def sign_in(page: Page, path: str) -> None:
    page.goto(path)
    page.get_by_label("Email or user name").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def send_generation(server: TheodoliteServer, model: str, input_tokens: int, output_tokens: int) -> None:
    """One trace with one LLM call, through the OTLP/HTTP exporter (answered after commit)."""
    provider = provider_with(protobuf_exporter(f"{server.base_url}/v1/traces", SECRET_KEY))
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": model,
                  "gen_ai.usage.input_tokens": input_tokens, "gen_ai.usage.output_tokens": output_tokens}  # fmt: skip
    start = time.time_ns()
    provider.get_tracer("ui-tests").start_span("chat", attributes=attributes, start_time=start).end(start + 350_000_000)
    assert provider.force_flush(30_000)
    provider.shutdown()


def calls_shown(page: Page) -> int:
    return int(page.get_by_test_id("live-calls-value").inner_text().replace(",", ""))


def test_live_changes_when_a_trace_arrives(page: Page, demo_server: TheodoliteServer) -> None:
    sign_in(page, "/live?window=15m")
    expect(page).to_have_url(re.compile(r"/live\?window=15m"))
    expect(page.get_by_test_id("live-calls-value")).to_have_text(re.compile(r"^[\d,]+$"))
    expect(page.get_by_test_id("chart-completions").locator("canvas")).to_be_visible()
    before = calls_shown(page)
    tokens_before = page.get_by_test_id("live-tokens").inner_text()
    send_generation(demo_server, "gpt-4o-mini", 4321, 1234)
    # The page polls by itself: no reload, no click. expect() retries until the deadline.
    expect(page.get_by_test_id("live-calls-value")).to_have_text(f"{before + 1:,}", timeout=30_000)
    expect(page.get_by_test_id("live-tokens")).not_to_have_text(tokens_before)
    expect(page.get_by_test_id("live-models")).to_contain_text("gpt-4o-mini")


def test_live_window_is_in_the_url_and_survives_a_reload(page: Page) -> None:
    sign_in(page, "/live")
    expect(page.get_by_role("button", name="1 hour")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="24 hours").click()
    expect(page).to_have_url(re.compile(r"/live\?window=24h"))
    expect(page.get_by_role("button", name="24 hours")).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(page.get_by_role("button", name="24 hours")).to_have_attribute("aria-pressed", "true")
    # the demo's traffic of the last day: calls, and an unknown model counted as unpriced, not $0
    expect(page.get_by_test_id("live-unpriced-value")).not_to_have_text("0")
    expect(page.get_by_test_id("live-models").locator("tr", has_text=UNPRICED_MODEL)).to_contain_text("unpriced")
    expect(page.get_by_test_id("live-models").locator("tr", has_text=UNPRICED_MODEL)).not_to_contain_text("$0")


def test_costs_show_unpriced_and_not_billed_calls_apart(page: Page, demo_server: TheodoliteServer) -> None:
    sign_in(page, "/costs?range=7d")
    expect(page).to_have_url(re.compile(r"/costs\?range=7d"))
    expect(page.get_by_test_id("costs-daily-chart").locator("canvas")).to_be_visible()
    with demo_server.client() as client:
        answer = client.get("/api/v1/costs", params={"from": datetime(2000, 1, 1, tzinfo=UTC).isoformat()}).json()
    unknown = next(line for line in answer["groups"]["model"]["lines"] if line["key"] == UNPRICED_MODEL)
    assert unknown["cost_usd"] is None and unknown["unpriced_calls"] > 0
    row = page.get_by_test_id("costs-model").locator(f'[data-testid="cost-row"][data-key="{UNPRICED_MODEL}"]')
    expect(row.get_by_test_id("cost-cell")).to_have_text("unpriced")
    expect(row.get_by_test_id("unpriced-cell")).to_have_text(f"{unknown['unpriced_calls']:,}")
    expect(page.get_by_test_id("costs-unpriced-value")).not_to_have_text("0")
    expect(page.get_by_test_id("costs-not-billed-value")).not_to_have_text("0")
    # The total leaves the unpriced calls out and says so.
    expect(page.get_by_test_id("costs-total")).to_contain_text("+ unpriced")
    for group in ("user", "feature", "project", "day"):
        expect(page.get_by_test_id(f"costs-{group}").get_by_test_id("cost-row").first).to_be_visible()
    page.get_by_role("button", name="Last 30 days").click()
    expect(page).to_have_url(re.compile(r"/costs\?range=30d"))
