"""The trace page in a real browser (Debian's chromium through Playwright) against a real `theodolite
serve`: opening a trace from the list, the tree (expand, collapse, keyboard), a generation's chat,
in-trace search, the ?observation= deep link, a trace over the page's cap (a banner), and another
project's trace (not found).

No sleeps: Playwright's locators wait, and expect() polls with a timeout."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from playwright.sync_api import Page, expect

from tests.support.accounts import cli_ok, new_secret
from tests.support.otlp_bodies import request_of, request_with_spans, span
from tests.support.server import SECRET_KEY, TheodoliteServer
from tests.ui.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.ui.test_traces_page import rows as trace_rows
from tests.ui.test_traces_page import sign_in

CAP = 40  # the small server's trace_page_max_observations
BIG_TRACE_SPANS = 120
VIEWER, VIEWER_PASSWORD = "viewer@example.com", "viewer password 1"


def span_rows(page: Page):
    return page.get_by_test_id("span-row")


def skeleton(server: TheodoliteServer, trace_id: str) -> dict:
    with server.client() as client:
        response = client.get(f"/api/v1/traces/{trace_id}/skeleton")
    assert response.status_code == 200, response.text
    return response.json()


def trace_with_generation(server: TheodoliteServer) -> tuple[str, dict, int]:
    """The newest demo trace with a generation whose input is chat messages: (trace id, skeleton, its index)."""
    with server.client() as client:
        for item in client.get("/api/v1/traces", params={"limit": 50}).json()["data"]:
            body = skeleton(server, item["id"])
            columns = body["observations"]
            for index, kind in enumerate(columns["type"]):
                if kind != "generation":
                    continue
                detail = client.get(f"/api/v1/traces/{item['id']}/observations/{columns['id'][index]}").json()
                if isinstance(detail["input"], list) and any(m.get("role") == "user" for m in detail["input"]):
                    return item["id"], body, index
    raise AssertionError("no demo trace with a chat generation")


def open_trace(page: Page, trace_id: str, query: str = "") -> None:
    """Signed out (a fresh context): the link goes through the sign-in form and comes back."""
    page.goto(f"/traces/{trace_id}{query}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    sign_in(page)
    expect(span_rows(page).first).to_be_visible()


def test_a_trace_opens_from_the_list_with_its_tree(page: Page, demo_server: TheodoliteServer) -> None:
    page.goto("/traces")
    sign_in(page)
    expect(page.get_by_test_id("list-status")).to_have_attribute("data-loaded", "50")
    first = trace_rows(page).first
    trace_id = first.get_attribute("data-trace-id")
    first.locator("[data-column=name]").click()
    expect(page).to_have_url(re.compile(rf"/traces/{re.escape(trace_id)}(?:\?.*)?$"))
    body = skeleton(demo_server, trace_id)
    expect(page.get_by_test_id("trace-title")).to_have_text(body["trace"]["name"])
    expect(page.get_by_test_id("span-tree")).to_have_attribute("data-rows", str(body["total"]))
    # Every row says its type and name; the root comes first.
    root = span_rows(page).first
    expect(root).to_have_attribute("data-observation-id", body["observations"]["id"][0])
    expect(root).to_contain_text(body["observations"]["name"][0])
    # The panel shows the root until something is selected.
    expect(page.get_by_test_id("observation-name")).to_have_text(body["observations"]["name"][0])


def test_collapse_and_expand_hide_and_show_children(page: Page, demo_server: TheodoliteServer) -> None:
    trace_id, body, _ = trace_with_generation(demo_server)
    total = body["total"]
    open_trace(page, trace_id)
    tree = page.get_by_test_id("span-tree")
    expect(tree).to_have_attribute("data-rows", str(total))
    root = span_rows(page).first
    expect(root).to_have_attribute("aria-expanded", "true")
    root.get_by_test_id("span-toggle").click()
    expect(tree).to_have_attribute("data-rows", "1")
    expect(root).to_have_attribute("aria-expanded", "false")
    root.get_by_test_id("span-toggle").click()
    expect(tree).to_have_attribute("data-rows", str(total))
    page.get_by_role("button", name="Collapse all").click()
    roots = body["observations"]["parent"].count(-1)
    expect(tree).to_have_attribute("data-rows", str(roots))
    # Keyboard: Enter opens the selected (first) row again, j moves to its first child.
    page.keyboard.press("Enter")
    expect(tree).not_to_have_attribute("data-rows", str(roots))
    page.keyboard.press("j")
    selected = page.locator('[data-testid="span-row"][aria-selected="true"]')
    expect(selected).to_have_attribute("data-index", "1")
    # Closing the selection's parent hides it, and selects the parent instead.
    root.get_by_test_id("span-toggle").click()
    expect(tree).to_have_attribute("data-rows", str(roots))
    expect(selected).to_have_attribute("data-index", "0")
    page.get_by_role("button", name="Expand all").click()
    expect(tree).to_have_attribute("data-rows", str(total))


def test_selecting_a_generation_shows_its_chat(page: Page, demo_server: TheodoliteServer) -> None:
    trace_id, body, index = trace_with_generation(demo_server)
    generation_id = body["observations"]["id"][index]
    with demo_server.client() as client:
        detail = client.get(f"/api/v1/traces/{trace_id}/observations/{generation_id}").json()
    open_trace(page, trace_id)
    page.locator(f'[data-testid="span-row"][data-observation-id="{generation_id}"]').click()
    expect(page).to_have_url(re.compile(rf"\?observation={generation_id}"))
    panel = page.get_by_test_id("observation-panel")
    expect(panel).to_have_attribute("data-observation-id", generation_id)
    chat = panel.get_by_test_id("detail-input")
    user = [m for m in detail["input"] if m["role"] == "user"][-1]  # a multi-turn chat has several
    user_message = chat.get_by_test_id("chat-message").filter(has=page.get_by_test_id("chat-role").get_by_text("user"))
    expect(user_message.last).to_contain_text(user["content"][:40])
    expect(chat.get_by_test_id("chat-role").first).to_have_text(detail["input"][0]["role"])
    expect(panel.get_by_test_id("detail-output").get_by_test_id("chat-role").first).to_contain_text("assistant")
    # Usage and cost: a priced call shows dollars, an unpriced one says so, never $0.
    usage = panel.get_by_test_id("detail-usage")
    expect(usage).to_contain_text(f"{detail['prompt_tokens']:,}")
    expect(usage).to_contain_text(f"Cost status: {detail['cost_status']}")


def test_search_filters_the_tree_to_matches_and_their_ancestors(page: Page, demo_server: TheodoliteServer) -> None:
    trace_id, body, index = trace_with_generation(demo_server)
    columns = body["observations"]
    generation_id = columns["id"][index]
    with demo_server.client() as client:
        detail = client.get(f"/api/v1/traces/{trace_id}/observations/{generation_id}").json()
        word = next(m for m in detail["input"] if m["role"] == "user")["content"].split()[-1].strip("?.!,")
        expected = client.get(f"/api/v1/traces/{trace_id}/search", params={"q": word}).json()["ids"]
    assert generation_id in expected
    shown = set()
    for observation_id in expected:  # each match and its ancestors
        node = columns["id"].index(observation_id)
        while node != -1:
            shown.add(columns["id"][node])
            node = columns["parent"][node]
    open_trace(page, trace_id)
    search = page.get_by_label("Search in this trace")
    search.fill(word.upper())  # case-insensitive
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q="))
    expect(page.get_by_test_id("search-status")).to_contain_text(f"{len(expected)} match")
    expect(page.get_by_test_id("span-tree")).to_have_attribute("data-rows", str(len(shown)))
    ids = span_rows(page).evaluate_all("rows => rows.map(r => r.dataset.observationId)")
    assert set(ids) == shown
    # The search is in the URL: a reload filters the same way.
    page.reload()
    expect(page.get_by_test_id("span-tree")).to_have_attribute("data-rows", str(len(shown)))
    page.get_by_role("button", name="Clear").click()
    expect(page.get_by_test_id("span-tree")).to_have_attribute("data-rows", str(body["total"]))


def test_a_deep_link_selects_the_observation_after_a_reload(page: Page, demo_server: TheodoliteServer) -> None:
    trace_id, body, index = trace_with_generation(demo_server)
    generation_id = body["observations"]["id"][index]
    open_trace(page, trace_id, f"?observation={generation_id}")
    selected = page.locator('[data-testid="span-row"][aria-selected="true"]')
    expect(selected).to_have_attribute("data-observation-id", generation_id)
    expect(page.get_by_test_id("observation-panel")).to_have_attribute("data-observation-id", generation_id)
    page.reload()
    expect(selected).to_have_attribute("data-observation-id", generation_id)
    expect(page.get_by_test_id("observation-name")).to_have_text(body["observations"]["name"][index])


# --- A server whose trace page reads at most CAP observations, with a second project -----------


@pytest.fixture(scope="module")
def small_server(built_ui: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    workdir = tmp_path_factory.mktemp("trace-page-cap")
    url = f"sqlite:///{workdir / 'theodolite.db'}"
    server = TheodoliteServer(
        url, workdir, init_admin_email=ADMIN_EMAIL, init_admin_password=ADMIN_PASSWORD,
        trace_page_max_observations=str(CAP),
    ).start()  # fmt: skip
    try:
        big, big_id = request_with_spans(BIG_TRACE_SPANS)
        heavy, heavy_id = heavy_request()
        _, beta_secret = new_secret(url, "beta")
        other, other_id = request_with_spans(3)
        for body, secret in ((big, SECRET_KEY), (other, beta_secret), (heavy, SECRET_KEY)):
            response = httpx.post(
                f"{server.base_url}/v1/traces",
                content=body,
                headers={"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {secret}"},
            )
            assert response.status_code == 200, response.text
        cli_ok(url, "users", "create", VIEWER, "--project", "test", "--role", "viewer", "--password-stdin",
               stdin=VIEWER_PASSWORD + "\n")  # fmt: skip
        yield {"server": server, "big": big_id, "other": other_id, "beta_secret": beta_secret, "heavy": heavy_id}
    finally:
        server.stop()


LONG_TEXT = "Les données de Zürich. " * 15_000  # ~345,000 characters: parsed in the worker
IMAGE = "data:image/png;base64," + "iVBORw0KGgo" + "A" * 40_000


def heavy_request() -> tuple[bytes, str]:
    """One generation whose input (a long text and an image) is over the worker's threshold."""
    trace_id, span_id = os.urandom(16), os.urandom(8)
    messages = [{"role": "user", "content": [{"type": "text", "text": LONG_TEXT},
                                             {"type": "image_url", "image_url": {"url": IMAGE}}]}]  # fmt: skip
    item = span(trace_id, "heavy-call", time.time_ns(), span_id=span_id, tokens=(10, 2))
    value = AnyValue(string_value=json.dumps(messages))
    item.attributes.append(KeyValue(key="theodolite.observation.input", value=value))
    return request_of(item), trace_id.hex()


@pytest.fixture
def small_page(browser, small_server: dict) -> Iterator[Page]:
    context = browser.new_context(base_url=small_server["server"].base_url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


def test_a_trace_over_the_cap_shows_the_first_observations_and_a_banner(small_page: Page, small_server: dict) -> None:
    small_page.goto(f"/traces/{small_server['big']}")
    sign_in(small_page, VIEWER, VIEWER_PASSWORD)
    banner = small_page.get_by_test_id("truncated-banner")
    expect(banner).to_contain_text(f"{BIG_TRACE_SPANS} observations")
    expect(banner).to_contain_text(f"the first {CAP}")
    expect(small_page.get_by_test_id("span-tree")).to_have_attribute("data-rows", str(CAP))
    # The page stays usable: the last row scrolls into view and can be selected.
    small_page.get_by_test_id("span-tree").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    last = small_page.locator(f'[data-testid="span-row"][data-index="{CAP - 1}"]')
    last.click()
    expect(last).to_have_attribute("aria-selected", "true")


def test_a_big_input_is_parsed_off_the_main_thread_and_its_image_is_a_placeholder(
    small_page: Page, small_server: dict
) -> None:
    small_page.goto(f"/traces/{small_server['heavy']}")
    sign_in(small_page, VIEWER, VIEWER_PASSWORD)
    chat = small_page.get_by_test_id("detail-input")
    expect(chat.get_by_test_id("chat-role")).to_have_text("user")
    expect(chat).to_contain_text("Les données de Zürich.")
    expect(chat.get_by_role("button", name=re.compile(r"show all 345,000 characters"))).to_be_visible()
    expect(chat.get_by_test_id("chat-binary")).to_contain_text("image/png, 29.3 KB")
    assert "AAAAAAAAAA" not in chat.inner_text()  # the base64 is never text on the page
    # The document went through the worker (its script loaded from this server, under the CSP).
    loaded = "() => performance.getEntriesByType('resource').some(e => e.name.includes('/assets/parse.worker'))"
    assert small_page.evaluate(loaded)


def test_another_projects_trace_is_not_found(small_page: Page, small_server: dict) -> None:
    small_page.goto(f"/traces/{small_server['other']}")
    sign_in(small_page, VIEWER, VIEWER_PASSWORD)
    expect(small_page.get_by_text("No such trace")).to_be_visible()
    expect(small_page.get_by_test_id("span-row")).to_have_count(0)
    # It exists: its own project's key reads it.
    with small_server["server"].client(small_server["beta_secret"]) as client:
        assert client.get(f"/api/v1/traces/{small_server['other']}/skeleton").status_code == 200
