"""The web UI in a real browser (Debian's chromium through Playwright) against a real `theodolite
serve` holding demo traffic: sign-in, the trace list, its URL filters, infinite scroll over the
cursor API with only the visible rows in the DOM, keyboard navigation, sign-out.

No sleeps: Playwright's locators wait, and expect() polls with a timeout."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.accounts import cli_ok
from tests.support.server import TheodoliteServer
from tests.ui.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_DAYS, DEMO_PROJECT, DEMO_TRACES_PER_DAY

TOTAL_TRACES = DEMO_DAYS * DEMO_TRACES_PER_DAY
PAGE_SIZE = 50  # ui/src/pages/TracesPage.tsx


def list_url(query: str = "") -> re.Pattern[str]:
    """The list's URL with `query` (a regex fragment), and the project last when the user has
    several (an earlier test may have given the admin a second project)."""
    base = r"/traces" + (r"\?" + query if query else "")
    return re.compile(base + (r"(?:&" if query else r"(?:\?") + r"project=[^&]+)?$")


def sign_in(page: Page, login: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    page.get_by_label("Email or user name").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def rows(page: Page):
    return page.get_by_test_id("trace-row")


def ids_in_dom(page: Page) -> list[str]:
    """Trace ids of the rows in the DOM now, in list order (none while the list is between renders)."""
    found = rows(page).evaluate_all(
        "rows => rows.map(r => [Number(r.dataset.index), r.dataset.traceId]).sort((a, b) => a[0] - b[0])"
    )
    return [trace_id for _, trace_id in found]


def visible_ids(page: Page, deadline_s: float = 10.0) -> list[str]:
    """The rows once the list has rendered some: the virtualised list may be between two renders
    (CI runs read none right after row 0 was visible, which made `shown == expected[:0]` pass
    vacuously and a later comparison fail). Polled with a deadline; never empty."""
    deadline = time.monotonic() + deadline_s
    while not (found := ids_in_dom(page)):
        assert time.monotonic() < deadline, "the list shows no rows"
        page.wait_for_timeout(50)
    return found


def api_ids(server: TheodoliteServer, **params: str) -> list[str]:
    with server.client() as client:
        response = client.get("/api/v1/traces", params={"limit": PAGE_SIZE, **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def test_sign_in_lands_on_the_newest_traces(page: Page, demo_server: TheodoliteServer) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    sign_in(page)
    expect(page).to_have_url(list_url())
    expect(page.get_by_test_id("user-name")).to_be_visible()
    expect(page.get_by_test_id("list-status")).to_have_attribute("data-loaded", str(PAGE_SIZE))
    newest = api_ids(demo_server)
    shown = visible_ids(page)
    assert shown == newest[: len(shown)]
    # Every column is there, and an unpriced trace says so rather than $0.
    for header in ("Time", "Name", "User", "Session", "Tags", "Latency", "Tokens", "Cost", "Level"):
        expect(page.get_by_role("columnheader", name=header)).to_be_visible()


def test_a_wrong_password_shows_an_error(page: Page) -> None:
    page.goto("/login")
    sign_in(page, password="not the password")
    expect(page.get_by_test_id("login-error")).to_have_text(re.compile("Wrong email, user name or password"))
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_label("Password")).to_have_value("")


def test_a_model_filter_goes_in_the_url_and_survives_a_reload(page: Page, demo_server: TheodoliteServer) -> None:
    model = "gpt-4o-mini-2024-07-18"
    expected = api_ids(demo_server, model=model)
    assert expected and expected != api_ids(demo_server)[: len(expected)]
    page.goto("/traces")
    sign_in(page)
    expect(page.get_by_test_id("list-status")).to_have_attribute("data-loaded", str(PAGE_SIZE))

    # Focusing the field fetches its suggestions: the models of the demo traffic.
    page.get_by_label("Model filter").focus()
    expect(page.get_by_test_id("filter-model-options").locator(f'option[value="{model}"]')).to_have_count(1)
    page.get_by_label("Model filter").fill(model)
    page.get_by_label("Model filter").press("Enter")
    expect(page).to_have_url(list_url(r"model=gpt-4o-mini-2024-07-18"))
    expect(page.locator(f'[data-testid="trace-row"][data-index="0"][data-trace-id="{expected[0]}"]')).to_be_visible()
    shown = visible_ids(page)
    assert shown == expected[: len(shown)]

    page.reload()
    expect(page.get_by_label("Model filter")).to_have_value(model)
    expect(page.locator(f'[data-testid="trace-row"][data-index="0"][data-trace-id="{expected[0]}"]')).to_be_visible()
    again = visible_ids(page)
    assert again == expected[: len(again)]

    page.get_by_role("button", name=re.compile(r"Clear 1 filter")).click()
    expect(page).to_have_url(list_url())


def test_scrolling_loads_every_page_but_keeps_only_visible_rows_in_the_dom(page: Page) -> None:
    fetched: list[str] = []
    page.on(
        "response",
        lambda r: fetched.append(r.url) if urlparse(r.url).path == "/api/v1/traces" and r.status == 200 else None,
    )
    page.goto("/traces")
    sign_in(page)
    status = page.get_by_test_id("list-status")
    expect(status).to_have_attribute("data-loaded", str(PAGE_SIZE))
    scroller = page.get_by_test_id("trace-scroll")
    for loaded in range(PAGE_SIZE, TOTAL_TRACES, PAGE_SIZE):
        scroller.evaluate("el => { el.scrollTop = el.scrollHeight; }")
        expect(status).to_have_attribute("data-loaded", str(min(loaded + PAGE_SIZE, TOTAL_TRACES)))
    expect(status).to_contain_text("end of the list")

    pages = [parse_qs(urlparse(url).query) for url in fetched]
    assert len(pages) == TOTAL_TRACES // PAGE_SIZE
    assert "cursor" not in pages[0] and all("cursor" in p for p in pages[1:])
    in_dom = rows(page).count()
    assert 0 < in_dom <= 60, f"{in_dom} rows in the DOM for {TOTAL_TRACES} loaded"


def test_j_k_and_enter_open_a_trace(page: Page, demo_server: TheodoliteServer) -> None:
    page.goto("/traces")
    sign_in(page)
    expect(page.get_by_test_id("list-status")).to_have_attribute("data-loaded", str(PAGE_SIZE))
    expect(rows(page).first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    selected = page.locator('[data-testid="trace-row"][aria-selected="true"]')
    expect(selected).to_have_attribute("data-index", "1")
    trace_id = selected.get_attribute("data-trace-id")
    assert trace_id == api_ids(demo_server)[1]

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/traces/{re.escape(trace_id)}(?:\?project=[^&]+)?$"))
    expect(page.get_by_test_id("trace-id")).to_have_text(trace_id)
    expect(page.get_by_test_id("span-row").first).to_be_visible()
    with demo_server.client() as client:
        name = client.get(f"/api/v1/traces/{trace_id}").json()["name"]
    expect(page.get_by_test_id("trace-title")).to_have_text(name)

    page.keyboard.press("Escape")
    expect(page).to_have_url(list_url())
    expect(page.locator('[data-testid="trace-row"][aria-selected="true"]')).to_have_attribute("data-index", "1")


def test_a_signed_out_deep_link_comes_back_after_sign_in(page: Page) -> None:
    page.goto("/traces?level=ERROR")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    sign_in(page)
    expect(page).to_have_url(list_url(r"level=ERROR"))
    expect(page.get_by_label("Level")).to_have_value("ERROR")
    expect(rows(page).first.get_by_text("ERROR")).to_be_visible()


def test_sign_out_ends_the_session(page: Page) -> None:
    page.goto("/traces")
    sign_in(page)
    expect(page.get_by_test_id("user-name")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/traces")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert page.context.request.get("/api/v1/auth/me").status == 401


@pytest.mark.parametrize("path", ["/traces/no-such-trace"])
def test_an_unknown_trace_says_so(page: Page, path: str) -> None:
    page.goto(path)
    sign_in(page)
    expect(page.get_by_text("No such trace")).to_be_visible()


def test_a_rate_limited_sign_in_says_when_to_try_again(page: Page, demo_server: TheodoliteServer) -> None:
    login = "someone-guessing@example.com"  # the limit counts per typed login: the admin is not locked out
    for _ in range(10):  # login_attempts_per_login's default
        response = httpx.post(
            f"{demo_server.base_url}/api/v1/auth/login", json={"login": login, "password": "guess"}, timeout=30
        )
        assert response.status_code == 401
    page.goto("/login")
    sign_in(page, login=login, password="one more guess")
    too_many = re.compile(r"Too many sign-in attempts\. Try again in \d+ s")
    expect(page.get_by_test_id("login-error")).to_have_text(too_many)
    expect(page.get_by_role("button", name="Sign in")).to_be_disabled()


def test_a_one_time_password_must_be_replaced_first(page: Page, demo_server: TheodoliteServer) -> None:
    url = demo_server.database_url
    out = cli_ok(url, "users", "create", "newcomer@example.com", "--project", DEMO_PROJECT, "--role", "viewer")
    one_time = re.search(r"^password: (\S+)$", out, re.M).group(1)
    page.goto("/traces")
    sign_in(page, login="newcomer", password=one_time)
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    page.get_by_label("Current password").fill(one_time)
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password again").fill("short")
    page.get_by_role("button", name="Save the password").click()
    expect(page.get_by_test_id("password-error")).to_contain_text("at least 8 characters")
    page.get_by_label("New password", exact=True).fill("a password of my own")
    page.get_by_label("New password again").fill("a password of my own")
    page.get_by_role("button", name="Save the password").click()
    expect(page.get_by_test_id("list-status")).to_have_attribute("data-loaded", str(PAGE_SIZE))
    expect(page).to_have_url(list_url())


def test_the_project_switcher_shows_the_other_projects_traces(page: Page, demo_server: TheodoliteServer) -> None:
    # Named after the demo's project: a fresh browser still opens the first project by name.
    cli_ok(demo_server.database_url, "keys", "create", "--project", "zz-empty-project")
    page.goto("/traces")
    sign_in(page)  # an admin: every project
    expect(page.get_by_test_id("list-status")).to_have_attribute("data-loaded", str(PAGE_SIZE))
    switcher = page.get_by_label("Project")
    expect(switcher).to_have_value(DEMO_PROJECT)
    switcher.select_option("zz-empty-project")
    expect(page.get_by_test_id("empty-state")).to_contain_text("No traces yet")
    expect(page).to_have_url(re.compile(r"/traces\?project=zz-empty-project$"))
    page.reload()  # the URL names the project
    expect(page.get_by_label("Project")).to_have_value("zz-empty-project")
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    # A link names its project: it opens there, whatever this browser used last.
    page.goto(f"/traces?level=ERROR&project={DEMO_PROJECT}")
    expect(page.get_by_label("Project")).to_have_value(DEMO_PROJECT)
    expect(rows(page).first.get_by_text("ERROR")).to_be_visible()
    page.get_by_label("Project").select_option("zz-empty-project")
    page.go_back()
    expect(page.get_by_label("Project")).to_have_value(DEMO_PROJECT)
    expect(rows(page).first.get_by_text("ERROR")).to_be_visible()
    # Switching stays in the section: a list page stays itself, one trace becomes the trace list.
    page.goto(f"/sessions?project={DEMO_PROJECT}")
    page.get_by_label("Project").select_option("zz-empty-project")
    expect(page).to_have_url(re.compile(r"/sessions\?project=zz-empty-project$"))
    trace_id = api_ids(demo_server)[0]
    page.goto(f"/traces/{trace_id}?project={DEMO_PROJECT}")
    expect(page.get_by_test_id("trace-id")).to_have_text(trace_id)
    page.get_by_label("Project").select_option("zz-empty-project")
    expect(page).to_have_url(re.compile(r"/traces\?project=zz-empty-project$"))
    expect(page.get_by_test_id("empty-state")).to_contain_text("No traces yet")


def test_a_filter_that_matches_nothing_says_so_and_offers_to_clear(page: Page) -> None:
    page.goto("/traces?name=no-such-trace-name")
    sign_in(page)
    expect(page.get_by_test_id("empty-state")).to_contain_text("No traces match these filters")
    page.get_by_role("button", name="Clear the filters").click()
    expect(page).to_have_url(list_url())
    expect(page.get_by_test_id("list-status")).to_have_attribute("data-loaded", str(PAGE_SIZE))


def test_a_server_that_went_away_is_an_error_with_retry(browser, built_ui, tmp_path) -> None:
    from tests.support.server import TheodoliteServer

    server = TheodoliteServer(
        f"sqlite:///{tmp_path / 'gone.db'}", tmp_path, init_admin_email=ADMIN_EMAIL, init_admin_password=ADMIN_PASSWORD
    ).start()
    context = browser.new_context(base_url=server.base_url)
    try:
        page = context.new_page()
        page.goto("/traces")
        sign_in(page)
        expect(page.get_by_test_id("empty-state")).to_contain_text("No traces yet")
        server.stop()
        page.get_by_role("button", name="Refresh").click()
        expect(page.get_by_role("alert")).to_contain_text("Could not load the traces")
        expect(page.get_by_role("alert").get_by_role("button", name="Retry")).to_be_visible()
    finally:
        context.close()
        server.stop()


def test_clicking_a_user_or_a_tag_in_the_list_filters_by_it(page: Page, demo_server: TheodoliteServer) -> None:
    page.goto("/traces")
    sign_in(page)
    first_with_user = page.locator('[data-testid="trace-row"]:has(button[title^="Show only user"])').first
    user = first_with_user.locator('button[title^="Show only user"]').inner_text()
    first_with_user.locator('button[title^="Show only user"]').click()
    expect(page).to_have_url(list_url(rf"user={re.escape(user)}"))
    expected = api_ids(demo_server, user_id=user)
    expect(page.get_by_test_id("list-status")).to_have_attribute("data-loaded", str(len(expected)))
    shown = visible_ids(page)
    assert shown == expected[: len(shown)]

    tag_button = page.locator('[data-testid="trace-row"] button[title^="Show only tag"]').first
    tag = tag_button.inner_text()
    tag_button.click()
    expect(page).to_have_url(list_url(rf"user={re.escape(user)}&tag={re.escape(tag)}"))
    expected = api_ids(demo_server, user_id=user, tags=tag)
    expect(page.get_by_test_id("list-status")).to_have_attribute("data-loaded", str(len(expected)))
    shown = visible_ids(page)
    assert shown == expected[: len(shown)]
    page.go_back()  # every filter change is a history entry
    expect(page).to_have_url(list_url(rf"user={re.escape(user)}"))


def test_a_custom_range_is_entered_in_local_time_and_kept_in_utc(browser, demo_server: TheodoliteServer) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    newest = api_ids(demo_server)
    with demo_server.client() as client:
        tenth = client.get(f"/api/v1/traces/{newest[10]}").json()["timestamp"]
    # The bound: the minute after the 11th newest trace, typed as Paris wall time.
    bound = datetime.fromisoformat(tenth).replace(second=0, microsecond=0) + timedelta(minutes=1)
    paris = bound.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")
    utc = bound.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    context = browser.new_context(base_url=demo_server.base_url, timezone_id="Europe/Paris")
    try:
        page = context.new_page()
        page.goto("/traces")
        sign_in(page)
        expect(page.get_by_test_id("list-status")).to_have_attribute("data-loaded", str(PAGE_SIZE))
        page.get_by_label("Time range").select_option("custom")
        page.get_by_label("To", exact=True).fill(paris)
        page.get_by_label("To", exact=True).press("Enter")
        expect(page).to_have_url(list_url(re.escape(f"to={utc.replace(':', '%3A')}")))
        expected = api_ids(demo_server, to=utc)
        expect(
            page.locator(f'[data-testid="trace-row"][data-index="0"][data-trace-id="{expected[0]}"]')
        ).to_be_visible()
        assert expected[0] != newest[0]  # the bound left the newest traces out
        page.reload()
        expect(page.get_by_label("To", exact=True)).to_have_value(paris)
    finally:
        context.close()
