"""/datasets in a real browser (Debian's chromium through Playwright) against a real `theodolite serve`:
a dataset created in the UI, two traces added from the traces list's selection and one from a trace's
page, its items and versions shown, an older version read back as it was, an item added, edited and
deleted as JSON, each change showing its new version."""

from __future__ import annotations

import json
import os
import re
import time
import uuid

import httpx
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from playwright.sync_api import Page, expect

from tests.support.accounts import cli_ok
from tests.support.otlp_bodies import request_of, span
from tests.support.server import SECRET_KEY, TheodoliteServer
from tests.ui.conftest import DEMO_PROJECT
from tests.ui.test_traces_page import sign_in


def text_attribute(key: str, value: str) -> KeyValue:
    kv = KeyValue(key=key)
    kv.value.string_value = value
    return kv


def send_question(server: TheodoliteServer, name: str, start_ns: int, question: str, answer: str) -> str:
    """A one-span trace whose root holds the question as input and the answer as output."""
    trace_id = os.urandom(16)
    root = span(trace_id, name, start_ns)
    root.attributes.append(text_attribute("theodolite.observation.input", json.dumps({"question": question})))
    root.attributes.append(text_attribute("theodolite.observation.output", json.dumps(answer)))
    headers = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {SECRET_KEY}"}
    response = httpx.post(f"{server.base_url}/v1/traces", content=request_of(root), headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return trace_id.hex()


def item_ids(page: Page) -> list[str]:
    return page.get_by_test_id("item-row").evaluate_all("rows => rows.map(r => r.dataset.itemId)")


def pick_dataset(page: Page, dataset: str) -> None:
    picker = page.get_by_role("dialog", name="Add to dataset")
    picker.get_by_label("Dataset", exact=True).select_option(dataset)
    picker.get_by_role("button", name="Add", exact=True).click()


def test_traces_become_items_and_every_version_reads_back_as_it_was(page: Page, demo_server: TheodoliteServer) -> None:
    name = f"datasets-ui-{uuid.uuid4().hex[:8]}"
    now = time.time_ns()
    questions = [("France", "Paris"), ("Italy", "Rome"), ("Spain", "Madrid")]
    france, italy, spain = (
        send_question(demo_server, name, now - (30 - n) * 1_000_000_000, f"Capital of {country}?", answer)
        for n, (country, answer) in enumerate(questions)
    )
    dataset = f"capitals-{uuid.uuid4().hex[:6]}"

    # Create the dataset in the UI: it opens, empty, at version 0.
    page.goto("/datasets")
    sign_in(page)
    expect(page.get_by_role("heading", name="Datasets", exact=True)).to_be_visible()
    page.get_by_label("Dataset name").fill(dataset)
    page.get_by_label("Dataset description").fill("capital cities from production")
    page.get_by_role("button", name="Create the dataset").click()
    expect(page).to_have_url(re.compile(rf"/datasets/{dataset}(\?|$)"))
    expect(page.get_by_test_id("dataset-current-version")).to_have_text("0")
    expect(page.get_by_test_id("empty-state")).to_contain_text("Version 0 holds no items")

    # Two traces from the list's selection.
    page.goto(f"/traces?name={name}")
    expect(page.get_by_test_id("trace-row")).to_have_count(3)
    for trace_id in (france, italy):
        page.locator(f'[data-testid="trace-row"][data-trace-id="{trace_id}"]').get_by_test_id("compare-check").check()
    page.get_by_role("button", name="Add 2 to dataset").click()
    pick_dataset(page, dataset)
    expect(page.get_by_test_id("add-to-dataset-result")).to_have_text(f"Added to {dataset}: Version 1: 2 created")
    expect(page.get_by_role("button", name="Add 2 to dataset")).to_have_count(0)  # the selection is cleared

    # One from the trace's page.
    page.goto(f"/traces/{spain}")
    expect(page.get_by_test_id("trace-title")).to_have_text(name)
    page.get_by_test_id("add-to-dataset").click()
    pick_dataset(page, dataset)
    result = page.get_by_test_id("add-to-dataset-result")
    expect(result).to_have_text(f"Added to {dataset}: Version 2: 1 created")
    # The same trace again is no change, and no version.
    page.get_by_test_id("add-to-dataset").click()
    pick_dataset(page, dataset)
    expect(result).to_contain_text("No new version: every item was already stored as it is (still version 2)")

    # The dataset: three items from three traces, two versions.
    result.get_by_test_id("add-to-dataset-link").click()
    expect(page).to_have_url(re.compile(rf"/datasets/{dataset}(\?|$)"))
    expect(page.get_by_test_id("dataset-current-version")).to_have_text("2")
    expect(page.get_by_test_id("item-row")).to_have_count(3)
    assert item_ids(page) == sorted([france, italy, spain])
    spain_row = page.locator(f'[data-testid="item-row"][data-item-id="{spain}"]')
    expect(spain_row.get_by_test_id("item-input")).to_have_text('{"question":"Capital of Spain?"}')
    expect(spain_row.get_by_test_id("item-expected")).to_have_text("Madrid")
    expect(spain_row.get_by_test_id("item-source")).to_have_attribute("href", re.compile(rf"/traces/{spain}"))
    versions = page.get_by_test_id("version-row")
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text("v2 (current)")
    expect(versions.nth(0)).to_contain_text("3 items")
    expect(versions.nth(1)).to_contain_text("2 items")
    expect(versions.nth(1)).to_contain_text("from traces")

    # An older version, picked from the version picker: its two items, read-only; the URL keeps it.
    page.get_by_label("Version", exact=True).select_option("1")
    expect(page).to_have_url(re.compile(r"[?&]version=1"))
    expect(page.get_by_test_id("item-row")).to_have_count(2)
    assert item_ids(page) == sorted([france, italy])
    expect(page.get_by_test_id("old-version-notice")).to_contain_text("read-only")
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("item-row")).to_have_count(2)

    # Back on the current version: add an item as JSON, edit one, delete one; each change shows its version.
    page.get_by_role("button", name="Show the current version").click()
    expect(page.get_by_test_id("item-row")).to_have_count(3)
    page.get_by_role("button", name="Add an item").click()
    form = page.get_by_role("form", name="New item")
    form.get_by_label("Item id").fill("by-hand")
    form.get_by_label("Input", exact=True).fill("Capital of Peru?")  # not JSON: refused in the page
    form.get_by_role("button", name="Add the item").click()
    expect(page.get_by_test_id("item-form-error")).to_contain_text("Input is not valid JSON")
    form.get_by_label("Input", exact=True).fill('{"question": "Capital of Peru?"}')
    form.get_by_label("Expected output").fill('"Lima"')
    form.get_by_label("Metadata").fill('{"added": "by hand"}')
    form.get_by_role("button", name="Add the item").click()
    expect(page.get_by_test_id("change-result")).to_have_text("Version 3: 1 created")
    expect(page.get_by_test_id("item-row")).to_have_count(4)

    page.locator(f'[data-testid="item-row"][data-item-id="{france}"]').get_by_role("button", name="Edit").click()
    edit = page.get_by_role("form", name=f"Edit item {france}")
    edit.get_by_label("Expected output").fill('"Paris, France"')
    edit.get_by_role("button", name="Save the item").click()
    expect(page.get_by_test_id("change-result")).to_have_text("Version 4: 1 updated")
    france_row = page.locator(f'[data-testid="item-row"][data-item-id="{france}"]')
    expect(france_row.get_by_test_id("item-expected")).to_have_text("Paris, France")
    expect(france_row.get_by_test_id("item-source")).to_be_visible()  # an edit keeps the source trace

    page.locator(f'[data-testid="item-row"][data-item-id="{italy}"]').get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Delete the item").click()
    expect(page.get_by_test_id("change-result")).to_have_text("Version 5: 1 deleted")
    expect(page.get_by_test_id("item-row")).to_have_count(3)
    expect(page.get_by_test_id("version-row")).to_have_count(5)

    # Version 2 still holds the three traces as they were added.
    page.get_by_test_id("version-row").filter(has_text="v2").click()
    expect(page.get_by_test_id("item-row")).to_have_count(3)
    assert item_ids(page) == sorted([france, italy, spain])
    expect(
        page.locator(f'[data-testid="item-row"][data-item-id="{france}"]').get_by_test_id("item-expected")
    ).to_have_text("Paris")

    # The list shows the dataset at its current version.
    page.get_by_role("link", name="← Datasets").click()
    row = page.locator(f'[data-testid="dataset-row"][data-name="{dataset}"]')
    expect(row.get_by_test_id("dataset-version")).to_have_text("5")
    expect(row.get_by_test_id("dataset-items")).to_have_text("3")
    expect(row).to_contain_text("capital cities from production")


def test_the_selection_can_create_a_dataset_and_pages_follow_the_items(
    page: Page, demo_server: TheodoliteServer
) -> None:
    name = f"datasets-new-{uuid.uuid4().hex[:8]}"
    now = time.time_ns()
    traces = [send_question(demo_server, name, now - n * 1_000_000_000, f"q{n}", f"a{n}") for n in range(3)]
    dataset = f"fresh-{uuid.uuid4().hex[:6]}"
    page.goto(f"/traces?name={name}")
    sign_in(page)
    expect(page.get_by_test_id("trace-row")).to_have_count(3)
    for trace_id in traces:
        page.locator(f'[data-testid="trace-row"][data-trace-id="{trace_id}"]').get_by_test_id("compare-check").check()
    expect(page.get_by_role("button", name="Compare", exact=True)).to_be_disabled()  # three: not a comparison
    page.get_by_role("button", name="Add 3 to dataset").click()
    picker = page.get_by_role("dialog", name="Add to dataset")
    picker.get_by_label("Dataset", exact=True).select_option(label="New dataset…")
    picker.get_by_label("New dataset name").fill(dataset)
    picker.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_test_id("add-to-dataset-result")).to_have_text(f"Added to {dataset}: Version 1: 3 created")

    # More items than a page: 30 more through the API, then the pager walks them.
    with demo_server.client() as client:
        items = [{"id": f"extra-{n:02d}", "input": n} for n in range(30)]
        assert client.post(f"/api/v1/datasets/{dataset}/items", json={"items": items}).status_code == 200
    page.get_by_test_id("add-to-dataset-link").click()
    expect(page.get_by_test_id("item-row")).to_have_count(25)
    pager = page.get_by_test_id("item-pager")
    expect(pager).to_contain_text("Items 1–25 · page 1")
    pager.get_by_role("button", name="Next").click()
    expect(pager).to_contain_text("Items 26–33 · page 2")
    expect(page.get_by_test_id("item-row")).to_have_count(8)
    pager.get_by_role("button", name="Previous").click()
    first = sorted([*traces, *(item["id"] for item in items)])[0]
    expect(page.get_by_test_id("item-row").first).to_have_attribute("data-item-id", first)

    # A name the project has is refused, in words, and nothing changes.
    page.goto("/datasets")
    page.get_by_label("Dataset name").fill(dataset)
    page.get_by_role("button", name="Create the dataset").click()
    expect(page.get_by_test_id("action-error")).to_contain_text(
        f"Not done (409): the project already has a dataset named '{dataset}'"
    )
    row = page.locator(f'[data-testid="dataset-row"][data-name="{dataset}"]')
    expect(row.get_by_test_id("dataset-version")).to_have_text("2")
    expect(row.get_by_test_id("dataset-items")).to_have_text("33")


def test_a_viewer_reads_a_dataset_and_a_change_is_refused_in_words(page: Page, demo_server: TheodoliteServer) -> None:
    password = "datasets-viewer-password"
    cli_ok(demo_server.database_url, "users", "create", "datasets-viewer@example.com", "--project", DEMO_PROJECT,
           "--role", "viewer", "--password-stdin", stdin=password + "\n")  # fmt: skip
    dataset = f"read-only-{uuid.uuid4().hex[:6]}"
    with demo_server.client() as client:
        assert client.post("/api/v1/datasets", json={"name": dataset}).status_code == 201
        item = {"id": "q1", "input": {"question": "2 + 2?"}, "expected_output": 4}
        assert client.post(f"/api/v1/datasets/{dataset}/items", json={"items": [item]}).status_code == 200
    page.goto(f"/datasets/{dataset}")
    sign_in(page, "datasets-viewer@example.com", password)
    expect(page.get_by_test_id("item-row")).to_have_count(1)
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Delete the item").click()
    expect(page.get_by_test_id("action-error")).to_contain_text("Refused by the server (403)")
    expect(page.get_by_test_id("dataset-current-version")).to_have_text("1")
    with demo_server.client() as client:
        assert client.get(f"/api/v1/datasets/{dataset}").json()["item_count"] == 1
