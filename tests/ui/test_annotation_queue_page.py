"""An annotation queue worked through in a real browser (Debian's chromium through Playwright)
against a real `theodolite serve`: five traces reviewed with the keyboard only (digits choose a
category, y/n a yes/no score, Enter submits, ? shows the keys), then the done state; the scores are
then ordinary ANNOTATION scores on the traces, given by the signed-in user.

No sleeps: Playwright's locators wait, and expect() polls with a timeout."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.support.langfuse_traces import send_traces
from tests.support.server import TheodoliteServer
from tests.ui.test_traces_page import sign_in

BASE = "/api/v1/annotation-queues"
TONES = ["polite", "neutral", "rude"]


def test_a_queue_of_five_traces_worked_through_with_the_keyboard(page: Page, demo_server: TheodoliteServer) -> None:
    trace_name = f"to-review-{uuid.uuid4().hex[:6]}"
    trace_ids = send_traces(demo_server, 5, trace_name, question="question {n}", answer="answer number {n}")
    queue = f"tone-{uuid.uuid4().hex[:6]}"
    configs = [{"name": "tone", "data_type": "CATEGORICAL", "categories": TONES, "description": "how it sounds"},
               {"name": "helpful", "data_type": "BOOLEAN"}]  # fmt: skip
    with demo_server.client() as client:
        assert client.post(BASE, json={"name": queue, "score_configs": configs}).status_code == 201
        filled = client.post(f"{BASE}/{queue}/items/from-traces", json={"filters": {"name": trace_name}})
    assert filled.status_code == 200 and filled.json()["added"] == 5, filled.text

    page.goto("/queues")
    sign_in(page)
    row = page.get_by_test_id("queue-row").filter(has_text=queue)
    expect(row).to_contain_text("tone, helpful")
    row.get_by_role("link", name=queue).click()
    expect(page).to_have_url(re.compile(rf"/queues/{queue}(\?project=[^&]+)?$"))
    reviewer = page.get_by_test_id("user-name").inner_text().strip()

    expect(page.get_by_test_id("queue-counts")).to_have_text("0 of 5 items done · 5 remaining")
    page.keyboard.press("?")
    expect(page.get_by_test_id("keys-help")).to_contain_text("1 polite · 2 neutral · 3 rude")
    page.keyboard.press("?")
    expect(page.get_by_test_id("keys-help")).to_have_count(0)

    given: dict[str, tuple[str, bool]] = {}
    item = page.get_by_test_id("review-item")
    for n in range(5):
        expect(item).to_have_count(1)
        object_id = item.get_attribute("data-object-id")
        assert object_id in trace_ids and object_id not in given
        position = trace_ids.index(object_id)
        expect(page.get_by_test_id("review-output")).to_contain_text(f"answer number {position}")
        expect(page.get_by_test_id("review-trace-link")).to_have_attribute("href", re.compile(object_id))
        tone, helpful = TONES[n % 3], n % 2 == 0
        page.keyboard.press(str(TONES.index(tone) + 1))
        page.keyboard.press("y" if helpful else "n")
        expect(page.get_by_role("button", name=re.compile(tone))).to_have_attribute("aria-pressed", "true")
        page.keyboard.press("Enter")
        given[object_id] = (tone, helpful)
        if n < 4:
            expect(item).not_to_have_attribute("data-object-id", object_id)
            expect(page.get_by_test_id("my-counts")).to_have_text(f"You: {n + 1} done · 0 skipped · {4 - n} left")

    expect(page.get_by_test_id("review-done")).to_contain_text("you reviewed 5 and skipped 0")
    expect(page.get_by_test_id("queue-counts")).to_have_text("5 of 5 items done · 0 remaining")
    expect(page.get_by_test_id("queue-progress").first).to_have_attribute("aria-valuenow", "5")

    # The reviews are ordinary scores in the trace store, by the signed-in user.
    with demo_server.client() as client:
        for trace_id, (tone, helpful) in given.items():
            scores = client.get(f"/api/v1/traces/{trace_id}").json()["scores"]
            mine = {s["name"]: s for s in scores if s["source"] == "ANNOTATION"}
            assert mine["tone"]["string_value"] == tone and mine["helpful"]["value"] == float(helpful)
            assert {s["metadata"]["reviewer"] for s in mine.values()} == {reviewer}
            assert {s["metadata"]["queue"] for s in mine.values()} == {queue}
