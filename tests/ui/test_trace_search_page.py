"""Searching the traces' inputs and outputs from the list page, in a real browser (Chromium through
Playwright) against a real server holding demo traffic, whose support conversations include
Japanese, Chinese, Russian and Arabic ones."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from tests.support.server import TheodoliteServer
from tests.ui.test_traces_page import PAGE_SIZE, api_ids, list_url, sign_in, visible_ids


def search_for(page: Page, text: str) -> None:
    box = page.get_by_label("Search inputs and outputs")
    box.fill(text)
    box.press("Enter")


def first_row(page: Page, trace_id: str):
    return page.locator(f'[data-testid="trace-row"][data-index="0"][data-trace-id="{trace_id}"]')


def test_search_latin_then_japanese_text_and_the_url_reproduces_it(page: Page, demo_server: TheodoliteServer) -> None:
    latin = api_ids(demo_server, search="reset password")
    japanese = api_ids(demo_server, search="パスワード")
    newest = api_ids(demo_server)
    assert latin and japanese and latin[0] != japanese[0] and not set(japanese) & set(latin)
    assert latin[: len(latin)] != newest[: len(latin)]
    page.goto("/traces")
    sign_in(page)
    expect(page.get_by_test_id("list-status")).to_have_attribute("data-loaded", str(PAGE_SIZE))

    search_for(page, "reset password")
    expect(page).to_have_url(list_url(r"search=reset\+password"))
    expect(first_row(page, latin[0])).to_be_visible()
    shown = visible_ids(page)
    assert shown == latin[: len(shown)]

    search_for(page, "パスワード")
    expect(page).to_have_url(list_url(r"search=[^&]+"))
    assert parse_qs(urlparse(page.url).query)["search"] == ["パスワード"]
    expect(first_row(page, japanese[0])).to_be_visible()
    shown = visible_ids(page)
    assert shown == japanese[: len(shown)]

    page.reload()  # the URL alone reproduces the view
    expect(page.get_by_label("Search inputs and outputs")).to_have_value("パスワード")
    expect(first_row(page, japanese[0])).to_be_visible()
    assert visible_ids(page) == shown

    page.get_by_role("button", name=re.compile(r"Clear 1 filter")).click()
    expect(page).to_have_url(list_url())
    expect(page.get_by_label("Search inputs and outputs")).to_have_value("")


def test_a_search_combines_with_a_filter_from_a_shared_link(page: Page, demo_server: TheodoliteServer) -> None:
    expected = api_ids(demo_server, search="экспорт", name="support-chat")
    assert expected
    page.goto("/traces?name=support-chat&search=%D1%8D%D0%BA%D1%81%D0%BF%D0%BE%D1%80%D1%82")
    sign_in(page)
    expect(page.get_by_label("Search inputs and outputs")).to_have_value("экспорт")
    expect(first_row(page, expected[0])).to_be_visible()
    shown = visible_ids(page)
    assert shown == expected[: len(shown)]


def test_a_search_that_matches_nothing_offers_to_clear(page: Page) -> None:
    page.goto("/traces?search=xyzzy-nothing")
    sign_in(page)
    expect(page.get_by_test_id("empty-state")).to_contain_text("No traces match these filters")
    page.get_by_role("button", name="Clear the filters").click()
    expect(page).to_have_url(list_url())
