"""Sorting the trace list by a column and filtering it by latency, cost and score, in a real browser
(Debian's chromium through Playwright) against a real `theodolite serve` holding demo traffic: the
header click and the filter go into the URL, the rows are the API's in the API's order, and the URL
alone reproduces the view.

No sleeps: Playwright's locators wait, and expect() polls with a timeout."""

from __future__ import annotations

import re
import statistics

from playwright.sync_api import Page, expect

from tests.support.server import TheodoliteServer
from tests.ui.test_traces_page import PAGE_SIZE, list_url, sign_in, visible_ids


def api_ids(server: TheodoliteServer, **params: str) -> list[str]:
    with server.client() as client:
        response = client.get("/api/v1/traces", params={"limit": PAGE_SIZE, **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def first_row_is(page: Page, trace_id: str) -> None:
    expect(page.locator(f'[data-testid="trace-row"][data-index="0"][data-trace-id="{trace_id}"]')).to_be_visible()


def test_sort_by_cost_then_filter_by_latency_and_the_url_reproduces_it(
    page: Page, demo_server: TheodoliteServer
) -> None:
    by_cost = api_ids(demo_server, sort="cost", order="desc")
    assert by_cost != api_ids(demo_server)  # another order than the default one
    page.goto("/traces")
    sign_in(page)
    expect(page.get_by_test_id("list-status")).to_have_attribute("data-loaded", str(PAGE_SIZE))

    page.get_by_role("button", name="Cost", exact=True).click()
    expect(page).to_have_url(list_url(r"sort=cost&order=desc"))
    first_row_is(page, by_cost[0])
    shown = visible_ids(page)
    assert shown == by_cost[: len(shown)]

    # A latency threshold that keeps the slowest tenth of the traces (fewer than a page).
    with demo_server.client() as client:
        latencies = [item["latency_s"] for item in client.get("/api/v1/traces", params={"limit": 500}).json()["data"]]
    threshold = round(statistics.quantiles([v for v in latencies if v is not None], n=10)[-1], 1)
    expected = api_ids(demo_server, sort="cost", order="desc", latency_min=str(threshold))
    assert expected and expected != by_cost[: len(expected)]
    page.get_by_label("Latency ≥ s filter").fill(str(threshold))
    page.get_by_label("Latency ≥ s filter").press("Enter")
    expect(page).to_have_url(list_url(rf"latency_min={re.escape(str(threshold))}&sort=cost&order=desc"))
    first_row_is(page, expected[0])
    shown = visible_ids(page)
    assert shown == expected[: len(shown)]
    url = page.url

    # The URL alone reproduces the view, in a fresh page.
    fresh = page.context.new_page()
    fresh.goto(url)
    expect(fresh.get_by_label("Latency ≥ s filter")).to_have_value(str(threshold))
    expect(fresh.locator('[data-sort="cost"]')).to_have_attribute("data-order", "desc")
    first_row_is(fresh, expected[0])
    assert visible_ids(fresh) == shown
    fresh.close()

    # The same header again: ascending; clearing the filters keeps the order.
    page.get_by_role("button", name="Cost", exact=False).first.click()
    expect(page).to_have_url(list_url(rf"latency_min={re.escape(str(threshold))}&sort=cost&order=asc"))
    first_row_is(page, api_ids(demo_server, sort="cost", order="asc", latency_min=str(threshold))[0])
    page.get_by_role("button", name=re.compile(r"Clear 1 filter")).click()
    expect(page).to_have_url(list_url(r"sort=cost&order=asc"))


def test_a_score_in_a_row_sorts_by_that_score_and_a_score_filter(page: Page, demo_server: TheodoliteServer) -> None:
    with demo_server.client() as client:
        items = client.get("/api/v1/traces", params={"limit": 200}).json()["data"]
    name = next(name for item in items for name in item["scores"])
    by_score = api_ids(demo_server, sort=f"score:{name}", order="desc")
    page.goto("/traces")
    sign_in(page)
    expect(page.get_by_test_id("list-status")).to_have_attribute("data-loaded", str(PAGE_SIZE))
    page.locator(".scores .cell-link", has_text=name).first.click()
    expect(page).to_have_url(list_url(rf"sort=score%3A{re.escape(name)}&order=desc"))
    first_row_is(page, by_score[0])
    expect(page.get_by_role("columnheader", name=f"Scores: {name}")).to_be_visible()

    expected = api_ids(demo_server, score=f"{name}>=0.9", sort=f"score:{name}", order="desc")
    page.get_by_label("Score filter").fill(f"{name} >= 0.9")
    page.get_by_label("Score filter").press("Enter")
    expect(page).to_have_url(list_url(rf"score={re.escape(name)}%3E%3D0\.9&sort=score%3A{re.escape(name)}&order=desc"))
    first_row_is(page, expected[0])
    shown = visible_ids(page)
    assert shown == expected[: len(shown)]
