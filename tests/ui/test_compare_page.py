"""/compare in a real browser (Debian's chromium through Playwright) against a real `theodolite serve`:
two traces sent as OTLP, chosen in the list, compared side by side (aligned trees, the diff of their
inputs and outputs, token and cost differences), the URL reproducing the view; a huge trace is
compared on its first observations with a banner."""

from __future__ import annotations

import json
import os
import re
import time

import httpx
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from playwright.sync_api import Page, expect

from tests.support.otlp_bodies import request_of, request_with_spans, span
from tests.support.server import SECRET_KEY, TheodoliteServer
from tests.ui.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

NAME = "compare-support-agent"
MAX_COMPARED = 300  # ui/src/compare/ComparePage.tsx


def text_attribute(key: str, value: str) -> KeyValue:
    kv = KeyValue(key=key)
    kv.value.string_value = value
    return kv


def send(server: TheodoliteServer, body: bytes) -> None:
    headers = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {SECRET_KEY}"}
    response = httpx.post(f"{server.base_url}/v1/traces", content=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text


def send_agent_trace(server: TheodoliteServer, start_ns: int, country: str, answer: str, tokens: tuple[int, int],
                     search: bool) -> str:  # fmt: skip
    """A root span, a plan step, optionally a web search, then a generation asking for `country`'s capital."""
    trace_id = os.urandom(16)
    root = span(trace_id, NAME, start_ns)
    root.end_time_unix_nano = start_ns + 50_000_000
    steps = [span(trace_id, "plan", start_ns + 1_000_000, parent=root.span_id)]
    if search:
        steps.append(span(trace_id, "web-search", start_ns + 2_000_000, parent=root.span_id))
        steps[-1].attributes.append(text_attribute("theodolite.observation.input", json.dumps(f"capital of {country}")))
    llm = span(trace_id, "llm", start_ns + 3_000_000, parent=root.span_id, tokens=tokens)
    messages = [{"role": "user", "content": f"What is the capital of {country}?\nAnswer in one word."}]
    llm.attributes.append(text_attribute("theodolite.observation.input", json.dumps(messages)))
    llm.attributes.append(text_attribute("theodolite.observation.output", json.dumps(answer)))
    send(server, request_of(root, *steps, llm))
    return trace_id.hex()


def sign_in_at(page: Page, path: str) -> None:
    page.goto(path)
    page.get_by_label("Email or user name").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def states(page: Page) -> list[str]:
    return page.get_by_test_id("compare-row").evaluate_all("rows => rows.map(r => r.dataset.state)")


def test_two_traces_chosen_in_the_list_are_compared_and_the_url_reproduces_it(
    page: Page, demo_server: TheodoliteServer
) -> None:
    now = time.time_ns()
    a = send_agent_trace(demo_server, now - 60_000_000_000, "France", "Paris", (100, 20), search=False)
    b = send_agent_trace(demo_server, now - 30_000_000_000, "Italy", "Rome", (120, 30), search=True)

    sign_in_at(page, f"/traces?name={NAME}")
    rows = page.get_by_test_id("trace-row")
    expect(rows).to_have_count(2)
    page.locator(f'[data-testid="trace-row"][data-trace-id="{a}"]').get_by_test_id("compare-check").check()
    expect(page).to_have_url(re.compile(rf"/traces\?name={NAME}"))  # ticking a box opens nothing
    page.locator(f'[data-testid="trace-row"][data-trace-id="{b}"]').get_by_test_id("compare-check").check()
    page.get_by_role("button", name="Compare 2/2").click()
    expect(page).to_have_url(re.compile(rf"/compare\?a={a}&b={b}(&project=[^&]+)?$"))

    def check_view() -> None:
        expect(page.get_by_test_id("trace-a")).to_contain_text(a)
        expect(page.get_by_test_id("trace-b")).to_contain_text(b)
        expect(page.get_by_test_id("compare-row")).to_have_count(4)
        assert states(page) == ["same", "same", "only-b", "differs"]  # agent, plan, web-search (B only), llm
        expect(page.get_by_test_id("metric-total-tokens")).to_contain_text("+30 (+25%)")
        expect(page.get_by_test_id("metric-observations")).to_contain_text("+1 (+33%)")
        detail = page.get_by_test_id("compare-detail")
        expect(detail.get_by_test_id("diff-input-summary")).to_have_text("+1 −1 lines")
        expect(detail.get_by_test_id("diff-input").locator(".diff-removed")).to_contain_text("France")
        expect(detail.get_by_test_id("diff-input").locator(".diff-added")).to_contain_text("Italy")
        expect(detail.get_by_test_id("diff-input").locator(".diff-same")).to_contain_text(["Answer in one word."])
        expect(detail.get_by_test_id("diff-output").locator(".diff-removed")).to_have_text("-Paris")
        expect(detail.get_by_test_id("diff-output").locator(".diff-added")).to_have_text("+Rome")

    check_view()  # the first row that differs is opened
    compare_url = page.url
    page.reload()
    check_view()

    # Choosing another row goes into the URL too.
    page.get_by_test_id("compare-row").nth(2).click()
    expect(page).to_have_url(re.compile(r"&row=b"))
    expect(page.get_by_test_id("diff-input-summary")).to_have_text("+1 line")
    expect(page.get_by_test_id("diff-input").locator(".diff-added")).to_contain_text("capital of Italy")
    chosen_url = page.url
    # j/k move through the aligned rows, as in a trace.
    selected = page.locator('[data-testid="compare-row"][aria-selected="true"]')
    page.keyboard.press("k")
    expect(selected).to_have_attribute("data-row", page.get_by_test_id("compare-row").nth(1).get_attribute("data-row"))
    page.keyboard.press("j")
    expect(page).to_have_url(chosen_url)
    expect(selected).to_have_count(1)
    page.goto(compare_url)
    check_view()
    page.goto(chosen_url)
    expect(page.get_by_test_id("diff-input-summary")).to_have_text("+1 line")

    page.get_by_role("button", name="Swap A and B").click()
    expect(page).to_have_url(re.compile(rf"/compare\?a={b}&b={a}"))
    assert states(page) == ["same", "same", "only-a", "differs"]
    expect(page.get_by_test_id("metric-total-tokens")).to_contain_text("−30 (−20%)")


def test_a_huge_trace_is_compared_on_its_first_observations(page: Page, demo_server: TheodoliteServer) -> None:
    ids = []
    for _ in range(2):
        body, trace_id = request_with_spans(MAX_COMPARED + 40, attributes=1, pad_bytes=20)
        send(demo_server, body)
        ids.append(trace_id)
    sign_in_at(page, f"/compare?a={ids[0]}&b={ids[1]}")
    expect(page.get_by_test_id("compare-truncated")).to_contain_text(f"the first {MAX_COMPARED} of each")
    expect(page.get_by_test_id("compare-row")).to_have_count(MAX_COMPARED)
    assert set(states(page)) == {"same"}


def test_an_unknown_trace_says_so(page: Page) -> None:
    sign_in_at(page, "/compare?a=0123&b=4567")
    expect(page.get_by_role("alert")).to_contain_text("Could not load trace A")
