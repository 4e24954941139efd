"""Take the docs' screenshots of the web UI (run through scripts/screenshots)."""

from __future__ import annotations

import os
import re
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


def main(only: list[str]) -> None:
    """Every screenshot, or only those named (`scripts/screenshots datasets`)."""
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
            url,
            workdir,
            init_project="demo",
            init_admin_email=EMAIL,
            init_admin_password=PASSWORD,
            evaluator_api_keys="judge=sk-demo",
            evaluator_poll_s="1",
        ).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
                page = browser.new_page(base_url=server.base_url, viewport={"width": 1440, "height": 860})
                page.goto("/login")
                page.get_by_label("Email or user name").fill(EMAIL)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                if only == ["annotation-queue"]:  # `scripts/screenshots annotation-queue`: that one alone
                    annotation_queue_shot(page, server)
                    return
                expect(page.get_by_test_id("list-status")).to_contain_text("scroll for more")
                if only:
                    for name in only:
                        SHOTS[name](page, server)
                    browser.close()
                    return
                page.keyboard.press("j")
                page.keyboard.press("j")
                page.screenshot(path=str(IMAGES / "traces.png"))
                print(f"wrote {IMAGES / 'traces.png'}")
                shoot_session_and_user(page, server)
                shoot_live_and_costs(page)
                settings_shot(page)
                score_configs_shot(page, server)
                compare_shot(page, server)
                trace_shot(page, server)
                datasets_shot(page, server)
                new_queue_shot(page, server)
                evaluators_shot(page, server)
                # Full-text search (docs/web-ui.md, "Search"), in Russian: this browser has no Japanese font.
                page.goto("/traces?search=%D1%8D%D0%BA%D1%81%D0%BF%D0%BE%D1%80%D1%82")  # экспорт
                expect(page.get_by_test_id("trace-row").first).to_be_visible()
                page.screenshot(path=str(IMAGES / "traces-search.png"))
                print(f"wrote {IMAGES / 'traces-search.png'}")
                # Sorted by cost, the slow ones only (a header click and a filter, both in the URL).
                page.goto("/traces?latency_min=5&sort=cost&order=desc")
                expect(page.get_by_test_id("list-status")).to_contain_text("trace")
                page.screenshot(path=str(IMAGES / "traces-sorted.png"))
                print(f"wrote {IMAGES / 'traces-sorted.png'}")
                browser.close()
        finally:
            server.stop()


def shoot_session_and_user(page, server: TheodoliteServer) -> None:
    """docs/images/session.png (the longest recent session's thread) and user.png (a user's page)."""
    from urllib.parse import quote

    with server.client() as client:
        sessions = client.get("/api/v1/sessions", params={"limit": 200}).json()["data"]
        users = client.get("/api/v1/users", params={"limit": 50}).json()["data"]
    session = max(sessions, key=lambda s: s["trace_count"])
    page.goto(f"/sessions/{quote(session['session_id'], safe='')}")
    expect(page.get_by_test_id("session-turn-count")).to_have_text(str(session["trace_count"]))
    expect(page.get_by_test_id("turn").first).to_be_visible()
    page.screenshot(path=str(IMAGES / "session.png"))
    print(f"wrote {IMAGES / 'session.png'}")
    page.goto(f"/users/{quote(users[0]['user_id'], safe='')}")
    expect(page.get_by_test_id("activity-chart")).to_have_attribute("data-drawn", "true")
    page.screenshot(path=str(IMAGES / "user.png"))
    print(f"wrote {IMAGES / 'user.png'}")


def shoot_live_and_costs(page) -> None:  # noqa: ANN001 - a Playwright page
    """/live over 6 hours of the demo's traffic, and /costs over the last 7 days."""
    page.goto("/live?window=6h")
    expect(page.get_by_test_id("live-calls-value")).not_to_have_text("0")
    expect(page.get_by_test_id("chart-models").locator("canvas")).to_be_visible()
    page.screenshot(path=str(IMAGES / "live.png"), full_page=True)
    print(f"wrote {IMAGES / 'live.png'}")
    page.goto("/costs?range=7d")
    expect(page.get_by_test_id("costs-model").get_by_test_id("cost-row").first).to_be_visible()
    expect(page.get_by_test_id("costs-daily-chart").locator("canvas")).to_be_visible()
    page.screenshot(path=str(IMAGES / "costs.png"), full_page=True)
    print(f"wrote {IMAGES / 'costs.png'}")


def settings_shot(page) -> None:
    """/settings/keys just after creating a key: its secret shown once."""
    page.goto("/settings/keys")
    page.get_by_label("Key note").fill("checkout service")
    page.get_by_role("button", name="Create a key").click()
    expect(page.get_by_test_id("new-key-secret")).to_be_visible()
    page.screenshot(path=str(IMAGES / "settings.png"))
    print(f"wrote {IMAGES / 'settings.png'}")


def score_configs_shot(page, server: TheodoliteServer) -> None:  # noqa: ANN001 - a Playwright page
    """/settings/scores with three configs (one archived) and the categorical form filled in."""
    with server.client() as client:
        for config in (
            {"name": "helpfulness", "data_type": "NUMERIC", "min_value": 1, "max_value": 5,
             "description": "how much the answer helped, 1 to 5"},
            {"name": "correct", "data_type": "BOOLEAN", "description": "the answer agrees with the reference"},
            {"name": "similarity", "data_type": "NUMERIC", "min_value": 0, "max_value": 1},
        ):  # fmt: skip
            client.post("/api/v1/score-configs", json=config)
        old = client.post("/api/v1/score-configs", json={"name": "tone-v1", "data_type": "CATEGORICAL",
                                                         "categories": ["good", "bad"]}).json()  # fmt: skip
        client.patch(f"/api/v1/score-configs/{old['id']}", json={"archived": True})
    page.goto("/settings/scores")
    form = page.get_by_role("form", name="Create a score config")
    form.get_by_label("Score name").fill("tone")
    form.get_by_label("Score type").select_option("CATEGORICAL")
    form.get_by_label("Categories").fill("rude = 0\nneutral = 1\npolite = 2")
    form.get_by_label("Score description").fill("the answer's tone")
    expect(page.get_by_test_id("score-config-row")).to_have_count(4)
    page.screenshot(path=str(IMAGES / "score-configs.png"))
    print(f"wrote {IMAGES / 'score-configs.png'}")


def compare_shot(page, server: TheodoliteServer) -> None:
    """/compare of two demo traces of the same agent whose token counts differ."""
    with server.client() as client:
        traces = client.get("/api/v1/traces", params={"limit": 200}).json()["data"]
    by_name: dict[str, list[dict]] = {}
    for trace in traces:
        if trace["observation_count"] >= 3 and trace["total_cost"] is not None:
            by_name.setdefault(trace["name"], []).append(trace)
    a, b = next(
        (x, y) for group in by_name.values() for x in group for y in group
        if x["total_tokens"] != y["total_tokens"] and x["observation_count"] == y["observation_count"]
    )  # fmt: skip
    page.goto(f"/compare?a={a['id']}&b={b['id']}")
    expect(page.get_by_test_id("compare-detail")).to_be_visible()
    page.screenshot(path=str(IMAGES / "compare.png"))
    print(f"wrote {IMAGES / 'compare.png'}")


def trace_shot(page, server: TheodoliteServer) -> None:  # noqa: ANN001 - a Playwright page
    """docs/images/trace.png: a support chat's trace with its generation selected."""
    with server.client() as client:
        trace_id = client.get("/api/v1/traces", params={"name": "support-chat", "limit": 1}).json()["data"][0]["id"]
        columns = client.get(f"/api/v1/traces/{trace_id}/skeleton").json()["observations"]
    generation = columns["id"][columns["type"].index("generation")]
    page.goto(f"/traces/{trace_id}?observation={generation}")
    expect(page.get_by_test_id("detail-input").get_by_test_id("chat-message").first).to_be_visible()
    page.screenshot(path=str(IMAGES / "trace.png"))
    print(f"wrote {IMAGES / 'trace.png'}")


def datasets_shot(page, server: TheodoliteServer) -> None:  # noqa: ANN001 - a Playwright page
    """docs/images/datasets.png: a dataset made of support chats (two batches from traces, one item
    added by hand, one corrected), at its current version."""
    name = "support-regressions"
    with server.client() as client:
        client.post("/api/v1/datasets", json={"name": name, "description": "support chats whose answers we keep"})
        traces = client.get("/api/v1/traces", params={"name": "support-chat", "limit": 14}).json()["data"]
        ids = [trace["id"] for trace in traces]
        client.post(f"/api/v1/datasets/{name}/items/from-traces", json={"trace_ids": ids[:8], "note": "triage, week 1"})
        client.post(f"/api/v1/datasets/{name}/items/from-traces", json={"trace_ids": ids[8:], "note": "triage, week 2"})
        hand = {"id": "refund-policy", "input": {"question": "Can I get a refund after 30 days?"},
                "expected_output": "Only for annual plans: see the refund policy.",
                "metadata": {"source": "support lead"}}  # fmt: skip
        client.post(f"/api/v1/datasets/{name}/items", json={"items": [hand], "note": "added by hand"})
    page.goto(f"/datasets/{name}")
    expect(page.get_by_test_id("item-row").first).to_be_visible()
    expect(page.get_by_test_id("version-row")).to_have_count(3)
    page.screenshot(path=str(IMAGES / "datasets.png"))
    print(f"wrote {IMAGES / 'datasets.png'}")


def annotation_queue_shot(page, server: TheodoliteServer) -> None:  # noqa: ANN001 - a Playwright page
    """docs/images/annotation-queue.png: a queue of support chats under review, two scores given."""
    configs = [
        {"name": "resolved", "data_type": "BOOLEAN", "description": "the customer's problem is solved"},
        {"name": "tone", "data_type": "CATEGORICAL", "categories": ["polite", "neutral", "rude"]},
        {"name": "quality", "data_type": "NUMERIC", "min_value": 1, "max_value": 5},
    ]
    with server.client() as client:
        client.post("/api/v1/annotation-queues", json={"name": "support-review", "score_configs": configs,
                    "description": "support chats of the last days, one in three"})  # fmt: skip
        client.post("/api/v1/annotation-queues/support-review/items/from-traces",
                    json={"filters": {"name": "support-chat"}, "sample_rate": 0.34, "max_items": 40})  # fmt: skip
        for _ in range(6):  # a colleague's reviews, so the progress bar has moved
            item = client.post("/api/v1/annotation-queues/support-review/claim", params={"reviewer": "sam"}).json()
            scores = {"resolved": True, "tone": "polite", "quality": 4}
            client.post(f"/api/v1/annotation-queues/support-review/items/{item['item']['id']}/review",
                        params={"reviewer": "sam"}, json={"scores": scores})  # fmt: skip
    page.goto("/queues/support-review")
    expect(page.get_by_test_id("review-item")).to_be_visible()
    page.keyboard.press("y")
    page.keyboard.press("1")
    expect(page.get_by_test_id("score-input").nth(2)).to_have_class(re.compile("score-input-active"))
    page.screenshot(path=str(IMAGES / "annotation-queue.png"))
    print(f"wrote {IMAGES / 'annotation-queue.png'}")


def new_queue_shot(page, server: TheodoliteServer) -> None:  # noqa: ANN001 - a Playwright page
    """docs/images/annotation-queue-new.png: "New queue" with two of the project's score configs ticked."""
    with server.client() as client:
        for config in (
            {"name": "accurate", "data_type": "BOOLEAN", "description": "the answer is right"},
            {"name": "empathy", "data_type": "NUMERIC", "min_value": 1, "max_value": 5},
        ):
            client.post("/api/v1/score-configs", json=config)
    page.goto("/queues")
    page.get_by_role("button", name="New queue").click()
    form = page.get_by_test_id("new-queue")
    form.get_by_label("Queue name").fill("refund-escalations")
    form.get_by_label("Queue description").fill("refund chats a customer escalated")
    for name in ("accurate", "empathy"):
        form.locator(f'[data-testid="project-config"][data-name="{name}"] input').check()
    page.screenshot(path=str(IMAGES / "annotation-queue-new.png"))
    print(f"wrote {IMAGES / 'annotation-queue-new.png'}")


def evaluators_shot(page, server: TheodoliteServer) -> None:  # noqa: ANN001 - a Playwright page
    """docs/images/evaluators.png: three rules over the demo's traffic (read from the start), one a
    judge answered by a fake OpenAI-compatible API on 127.0.0.1, their counts once caught up."""
    import json

    from tests.support.fake_provider import FakeProvider, Reply

    def verdict(body: dict) -> Reply:
        score = len(body["messages"][-1]["content"]) % 5 != 0
        content = json.dumps({"reasoning": "the answer addresses the question", "score": score})
        return Reply({"model": "gpt-4o-mini", "choices": [{"message": {"role": "assistant", "content": content}}],
                      "usage": {"prompt_tokens": 420, "completion_tokens": 24}})  # fmt: skip

    judge = FakeProvider(chat=verdict).__enter__()
    rules = [
        {"name": "helpful-answers", "scope": "trace", "sampling_rate": 0.2, "backfill": True,
         "filter": {"name_regex": "^support"}, "daily_cost_limit_usd": 0.5,
         "evaluator": {"type": "judge", "template": "Question: {{input}}\nAnswer: {{output}}\nIs it helpful?",
                       "score": {"name": "helpful", "data_type": "BOOLEAN"},
                       "provider": {"base_url": judge.url, "model": "gpt-4o-mini", "api_key_setting": "judge"}}},
        {"name": "json-outputs", "scope": "observation", "sampling_rate": 1.0, "backfill": True,
         "filter": {"type": "generation"}, "evaluator": {"type": "builtin", "name": "json_valid"}},
        {"name": "mentions-refund", "scope": "trace", "sampling_rate": 0.5, "backfill": True,
         "evaluator": {"type": "builtin", "name": "contains", "params": {"substrings": ["refund"]}}},
    ]  # fmt: skip
    try:
        with server.client() as client:
            for rule in rules:
                assert client.post("/api/v1/evaluators", json=rule).status_code == 201
        page.goto("/evaluators")
        for name in ("helpful-answers", "json-outputs", "mentions-refund"):
            row = page.locator(f'[data-testid="evaluator-row"][data-name="{name}"]')
            expect(row.get_by_test_id("evaluator-state")).to_contain_text("caught up", timeout=180_000)
        page.screenshot(path=str(IMAGES / "evaluators.png"), full_page=True)
        print(f"wrote {IMAGES / 'evaluators.png'}")
    finally:
        judge.__exit__(None, None, None)


SHOTS = {
    "datasets": datasets_shot,
    "annotation-queue": annotation_queue_shot,
    "evaluators": evaluators_shot,
    "new-queue": new_queue_shot,
}


if __name__ == "__main__":
    main(sys.argv[1:])
