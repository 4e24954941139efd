"""Annotation queues created and filled in a real browser (Debian's chromium through Playwright)
against a real `theodolite serve` on SQLite: "New queue" with a project score config and a score of
the queue's own, "Add items" by the trace list's filters and a sample (the same traces the server's
hash chooses), an observation queue filled by the observation list's filters and reviewed with the
keyboard, a queue of any kind filled from either list, "Add to queue" on ticked rows of the traces
list, and a queue whose project config was archived refusing reviews.

No sleeps: Playwright's locators wait, and expect() polls with a timeout."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.support.langfuse_traces import send_observations, send_traces
from tests.support.server import TheodoliteServer
from tests.ui.test_traces_page import sign_in
from theodolite.server.routes.annotation_queues import sampled

BASE = "/api/v1/annotation-queues"


def test_a_queue_made_in_the_ui_follows_a_project_config_and_is_filled_by_a_sample(
    page: Page, demo_server: TheodoliteServer
) -> None:
    tag = uuid.uuid4().hex[:6]
    trace_name, tone, queue = f"fill-{tag}", f"tone_{tag}", f"support-{tag}"
    trace_ids = send_traces(demo_server, 12, trace_name, answer="answer number {n}")
    with demo_server.client() as client:
        config = client.post("/api/v1/score-configs", json={"name": tone, "data_type": "CATEGORICAL",
                                                            "categories": ["polite", "rude"]})  # fmt: skip
    assert config.status_code == 201, config.text

    page.goto("/queues")
    sign_in(page)
    page.get_by_test_id("new-queue-button").click()
    form = page.get_by_role("form", name="New annotation queue")
    form.get_by_label("Queue name").fill(queue)
    form.get_by_label("Queue description").fill("tone of support answers")
    form.get_by_label("Reviews per item").fill("2")
    form.locator(f'[data-testid="project-config"][data-name="{tone}"]').get_by_role("checkbox").check()
    form.get_by_role("button", name="Create the queue").click()  # one of its own not added yet: fine
    expect(page).to_have_url(re.compile(rf"/queues/{queue}(\?project=[^&]+)?$"))
    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    with demo_server.client() as client:
        made = client.get(f"{BASE}/{queue}").json()
    assert (made["kind"], made["reviews_per_item"], made["description"]) == ("trace", 2, "tone of support answers")
    assert [(c["name"], c["config_id"]) for c in made["score_configs"]] == [(tone, config.json()["id"])]

    # Half the traces by the server's hash, then all: the second adds the rest, the first half is held.
    page.get_by_test_id("fill-button").click()
    fill = page.get_by_test_id("fill-queue")
    name_filter = fill.get_by_label("Name filter")
    name_filter.fill(trace_name)
    name_filter.press("Enter")
    fill.get_by_label("Sample percent").fill("50")
    fill.get_by_test_id("fill-submit").click()
    half = sum(sampled(trace_id, 0.5) for trace_id in trace_ids)
    assert 0 < half < 12  # the ids are random: a run where all or none fall in would test nothing
    expect(fill.get_by_test_id("fill-result")).to_contain_text(f"Added {half} traces of 12 traces read")
    fill.get_by_label("Sample percent").fill("100")
    fill.get_by_test_id("fill-submit").click()
    expect(fill.get_by_test_id("fill-result")).to_contain_text(
        f"Added {12 - half} traces ({half} already in the queue) of 12 traces read: the queue holds 12"
    )
    # The queue had nothing to claim: the first item comes now, with the project config's categories.
    expect(page.get_by_test_id("queue-counts")).to_have_text("0 of 12 items done · 12 remaining")
    expect(page.get_by_test_id("review-item")).to_have_count(1)
    scores = page.get_by_test_id("score-input")
    expect(scores).to_have_count(1)
    expect(scores.first).to_contain_text("1 polite")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("my-counts")).to_contain_text("You: 1 done")
    with demo_server.client() as client:
        items = client.get(f"{BASE}/{queue}/items", params={"limit": 100}).json()["data"]
        assert {item["object_id"] for item in items} == set(trace_ids)

        # The project archives the config: the queue says so and takes no reviews until it is restored.
        assert client.patch(f"/api/v1/score-configs/{config.json()['id']}", json={"archived": True}).status_code == 200
    page.reload()
    expect(page.get_by_test_id("queue-blocked")).to_contain_text(f"score config {tone} is archived")
    expect(page.get_by_test_id("submit-review")).to_be_disabled()


def test_ticked_traces_go_to_a_queue_and_a_queue_of_own_scores_is_made(
    page: Page, demo_server: TheodoliteServer
) -> None:
    tag = uuid.uuid4().hex[:6]
    trace_name, queue = f"tick-{tag}", f"own-{tag}"
    trace_ids = send_traces(demo_server, 3, trace_name)
    page.goto("/queues")
    sign_in(page)
    page.get_by_test_id("new-queue-button").click()
    form = page.get_by_role("form", name="New annotation queue")
    form.get_by_label("Queue name").fill(queue)
    form.get_by_role("button", name="Create the queue").click()
    expect(page.get_by_test_id("new-queue-problems")).to_contain_text("Choose at least one score")
    form.get_by_label("Own score name").fill("stars")
    form.get_by_label("Own score minimum").fill("1")
    form.get_by_label("Own score maximum").fill("5")
    form.get_by_role("button", name="Add this score").click()
    expect(form.get_by_test_id("own-config")).to_contain_text("stars 1 to 5")
    form.get_by_role("button", name="Create the queue").click()
    expect(page).to_have_url(re.compile(rf"/queues/{queue}(\?project=[^&]+)?$"))

    page.goto(f"/traces?name={trace_name}")
    expect(page.get_by_test_id("trace-row")).to_have_count(3)
    for trace_id in trace_ids[:2]:
        page.locator(f'[data-testid="trace-row"][data-trace-id="{trace_id}"]').get_by_test_id("compare-check").check()
    page.get_by_role("button", name="Add 2 to queue").click()
    picker = page.get_by_role("dialog", name="Add to queue")
    picker.get_by_label("Queue").select_option(queue)
    picker.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_test_id("add-to-queue-result")).to_have_text(f"Added 2 to {queue}")
    expect(page.get_by_role("button", name="Add 2 to queue")).to_have_count(0)  # the selection is cleared

    with demo_server.client() as client:
        items = client.get(f"{BASE}/{queue}/items").json()["data"]
        configs = client.get(f"{BASE}/{queue}").json()["score_configs"]
    assert sorted(item["object_id"] for item in items) == sorted(trace_ids[:2])
    assert [(c["name"], c["min_value"], c["max_value"], c["config_id"]) for c in configs] == [("stars", 1, 5, None)]
    page.get_by_test_id("add-to-queue-link").click()
    expect(page.get_by_test_id("queue-counts")).to_have_text("0 of 2 items done · 2 remaining")


def test_an_observation_queue_is_filled_by_the_observation_filters_and_reviewed(
    page: Page, demo_server: TheodoliteServer
) -> None:
    tag = uuid.uuid4().hex[:6]
    obs_name, queue = f"llm-{tag}", f"obs-{tag}"
    sent = send_observations(demo_server, 12, obs_name)
    send_observations(demo_server, 3, obs_name, kind="span", level="ERROR")  # other type: not added
    half = [ident for _, ident in sent if sampled(ident, 0.5)]
    assert 0 < len(half) < 12  # the ids are random: a run where all or none fall in would test nothing
    with demo_server.client() as client:
        made = client.post(BASE, json={"name": queue, "kind": "observation",
                                       "score_configs": [{"name": "ok", "data_type": "BOOLEAN"}]})  # fmt: skip
    assert made.status_code == 201, made.text

    page.goto(f"/queues/{queue}")
    sign_in(page)
    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    page.get_by_test_id("fill-button").click()
    fill = page.get_by_test_id("fill-queue")
    fill.get_by_label("Observation type").select_option("generation")
    fill.get_by_label("Observation name").fill(obs_name)
    fill.get_by_label("Observation model").fill("gpt-4o-mini")
    fill.get_by_label("Observation time range").select_option("7d")
    fill.get_by_label("Sample percent").fill("50")
    fill.get_by_test_id("fill-submit").click()
    expect(fill.get_by_test_id("fill-result")).to_contain_text(
        f"Added {len(half)} observations of 12 observations read: the queue holds {len(half)}"
    )
    fill.get_by_label("Sample percent").fill("100")
    fill.get_by_test_id("fill-submit").click()
    expect(fill.get_by_test_id("fill-result")).to_contain_text(
        f"Added {12 - len(half)} observations ({len(half)} already in the queue) of 12 observations read"
    )
    with demo_server.client() as client:
        items = client.get(f"{BASE}/{queue}/items", params={"limit": 100}).json()["data"]
    assert {(item["object_id"], item["trace_id"]) for item in items} == set((t, o)[::-1] for t, o in sent)

    # One review with the keyboard: the generation's prompt is shown, "y" answers the yes/no score, Enter submits.
    expect(page.get_by_test_id("queue-counts")).to_have_text("0 of 12 items done · 12 remaining")
    item = page.get_by_test_id("review-item")
    expect(item.get_by_test_id("review-input")).to_contain_text("prompt ")
    reviewed = item.get_attribute("data-object-id")
    page.keyboard.press("y")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("my-counts")).to_contain_text("You: 1 done")
    expect(page.get_by_test_id("queue-counts")).to_have_text("1 of 12 items done · 11 remaining")
    with demo_server.client() as client:
        trace = client.get(f"/api/v1/traces/{sent[0][0]}").json()
    [score] = [s for s in trace["scores"] if s["source"] == "ANNOTATION"]
    assert (score["observation_id"], score["name"], score["value"]) == (reviewed, "ok", 1.0)


def test_a_queue_of_any_kind_is_filled_from_either_list(page: Page, demo_server: TheodoliteServer) -> None:
    tag = uuid.uuid4().hex[:6]
    obs_name, trace_name, queue = f"any-{tag}", f"anyt-{tag}", f"any-{tag}"
    sent = send_observations(demo_server, 3, obs_name, kind="span")
    trace_ids = send_traces(demo_server, 2, trace_name)
    with demo_server.client() as client:
        made = client.post(BASE, json={"name": queue, "score_configs": [{"name": "ok", "data_type": "BOOLEAN"}]})
    assert made.status_code == 201, made.text
    page.goto(f"/queues/{queue}")
    sign_in(page)
    page.get_by_test_id("fill-button").click()
    page.get_by_label("Fill from").select_option("observations")
    fill = page.get_by_test_id("fill-queue")
    fill.get_by_label("Observation name").fill(obs_name)
    fill.get_by_test_id("fill-submit").click()
    expect(fill.get_by_test_id("fill-result")).to_contain_text("Added 3 observations of 3 observations read")
    page.get_by_label("Fill from").select_option("traces")
    name_filter = fill.get_by_label("Name filter")
    name_filter.fill(trace_name)
    name_filter.press("Enter")
    fill.get_by_test_id("fill-submit").click()
    expect(fill.get_by_test_id("fill-result")).to_contain_text("Added 2 traces of 2 traces read: the queue holds 5")
    with demo_server.client() as client:
        items = client.get(f"{BASE}/{queue}/items").json()["data"]
    assert {(item["kind"], item["object_id"]) for item in items} == {
        *(("observation", ident) for _, ident in sent),
        *(("trace", trace_id) for trace_id in trace_ids),
    }
