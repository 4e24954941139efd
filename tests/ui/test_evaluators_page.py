"""/evaluators in a real browser (Debian's chromium through Playwright) against a real `theodolite
serve`: a rule created through the form appears with its status, and its counts move by themselves
once traffic arrives (the worker scores in the background; the page polls). A refused rule shows the
server's reason. No sleeps: expect() polls with a deadline."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.otel import protobuf_exporter, provider_with
from tests.support.server import SECRET_KEY, TheodoliteServer
from tests.ui.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.fixture(scope="module")
def demo_server(built_ui: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TheodoliteServer]:
    """An empty server with an admin, its evaluators polling every 0.5 s (replaces conftest's demo)."""
    workdir = tmp_path_factory.mktemp("ui-evaluators")
    instance = TheodoliteServer(
        f"sqlite:///{workdir / 'theodolite.db'}", workdir, init_admin_email=ADMIN_EMAIL,
        init_admin_password=ADMIN_PASSWORD, evaluator_poll_s="0.5", evaluator_api_keys="openai=sk-unused",
    ).start()  # fmt: skip
    try:
        yield instance
    finally:
        instance.stop()


def sign_in(page: Page, path: str) -> None:
    page.goto(path)
    page.get_by_label("Email or user name").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def send_generation(server: TheodoliteServer, output: str) -> None:
    provider = provider_with(protobuf_exporter(f"{server.base_url}/v1/traces", SECRET_KEY))
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini",
                  "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 5,
                  "gen_ai.completion": output}  # fmt: skip
    start = time.time_ns()
    provider.get_tracer("ui-tests").start_span("chat", attributes=attributes, start_time=start).end(start + 1_000_000)
    assert provider.force_flush(30_000)
    provider.shutdown()


def test_a_rule_created_through_the_form_shows_its_status(page: Page, demo_server: TheodoliteServer) -> None:
    sign_in(page, "/evaluators")
    expect(page.get_by_role("link", name="Evaluators")).to_be_visible()
    expect(page.get_by_test_id("evaluators-empty")).to_be_visible()

    page.get_by_label("Rule name").fill("valid-json")
    page.get_by_label("Scope").select_option("observation")
    page.get_by_label("Sampling percent").fill("100")
    page.get_by_label("Built-in evaluator").select_option("json_valid")
    page.get_by_role("button", name="Create rule").click()

    row = page.locator('[data-testid="evaluator-row"][data-name="valid-json"]')
    expect(row).to_be_visible()
    expect(row.get_by_test_id("evaluator-scored")).to_have_text("0")
    send_generation(demo_server, '{"answer": 42}')
    # the worker scores in the background and the page polls: no reload, no click
    expect(row.get_by_test_id("evaluator-scored")).to_have_text("1", timeout=30_000)
    expect(row.get_by_test_id("evaluator-state")).to_contain_text("caught up", timeout=30_000)


def test_a_refused_rule_shows_the_servers_reason(page: Page) -> None:
    sign_in(page, "/evaluators")
    page.get_by_label("Rule name").fill("judge-without-key")
    page.get_by_label("Evaluator kind").select_option("judge")
    page.get_by_label("API key setting").fill("anthropic")
    page.get_by_role("button", name="Create rule").click()
    expect(page.get_by_test_id("action-error")).to_contain_text("'anthropic'")
    expect(page.get_by_test_id("action-error")).to_contain_text("evaluator_api_keys")


def test_a_rule_at_its_daily_cost_limit_says_it_waits(page: Page, demo_server: TheodoliteServer) -> None:
    rule = {"name": "capped", "scope": "trace", "sampling_rate": 1.0, "daily_cost_limit_usd": 0,
            "evaluator": {"type": "builtin", "name": "json_valid"}}  # fmt: skip
    assert demo_server.client().post("/api/v1/evaluators", json=rule).status_code == 201
    sign_in(page, "/evaluators")
    row = page.locator('[data-testid="evaluator-row"][data-name="capped"]')
    expect(row.get_by_test_id("evaluator-state")).to_contain_text("daily cost limit reached")
    expect(row.get_by_test_id("evaluator-spend")).to_have_text("$0 of $0 today")
