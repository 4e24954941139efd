"""The sessions and users pages in a real browser (Debian's chromium through Playwright) against a
real `theodolite serve` holding demo traffic, plus a long session sent by our SDK: following a
session from the list and from a trace to its thread, reading a turn, opening its trace; a
session of hundreds of turns scrolled to its end with few turns in the DOM; the users list to a
user's page with the activity chart drawn, and on to their traces.

No sleeps: Playwright's locators wait, and expect() polls with a timeout."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

import theodolite
from tests.support.server import SECRET_KEY, TheodoliteServer
from tests.ui.test_traces_page import sign_in

LONG_SESSION, LONG_TURNS = "long-session", 300
TURNS_PER_PAGE = 50  # ui/src/sessions/SessionPage.tsx


def api(server: TheodoliteServer, path: str, **params: object) -> dict:
    with server.client() as client:
        response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def long_session(demo_server: TheodoliteServer) -> str:
    """A conversation of 300 turns, one trace each, sent by our SDK as a chat application would."""
    theodolite.configure(endpoint=demo_server.base_url, api_key=SECRET_KEY, strict=True, flush_interval_s=0.05)
    history: list[dict] = []
    for turn in range(LONG_TURNS):
        question = f"question {turn}: " + "and why? " * (turn % 7) * 5  # turns of different heights
        history.append({"role": "user", "content": question})
        with theodolite.span("chat-turn", as_type="agent", session_id=LONG_SESSION, user_id="long-user") as root:
            with theodolite.generation("llm", model="gpt-4o-mini", input=list(history),
                                       usage={"input_tokens": 10 * (turn + 1), "output_tokens": 5}):  # fmt: skip
                answer = f"answer {turn}"
                theodolite.update_current(output={"role": "assistant", "content": answer})
            history.append({"role": "assistant", "content": answer})
            root.update(input=question, output=answer)
    assert theodolite.shutdown(30)
    return LONG_SESSION


def test_follow_a_session_from_the_list_to_a_turn_and_its_trace(page: Page, demo_server: TheodoliteServer) -> None:
    page.goto("/sessions")
    sign_in(page)
    expect(page).to_have_url(re.compile(r"/sessions(\?project=[^&]+)?$"))
    newest = api(demo_server, "/api/v1/sessions", limit=50)["data"]
    expect(page.get_by_test_id("session-row").first).to_have_attribute("data-id", newest[0]["session_id"])
    # The first session with several turns.
    chosen = next(s for s in newest if s["trace_count"] > 1)
    page.locator(f'[data-testid="session-row"][data-id="{chosen["session_id"]}"]').click()
    expect(page).to_have_url(re.compile(rf"/sessions/{re.escape(quote(chosen['session_id']))}(\?project=[^&]+)?$"))
    expect(page.get_by_test_id("session-turn-count")).to_have_text(str(chosen["trace_count"]))
    turns = page.get_by_test_id("turn")
    expect(turns).to_have_count(chosen["trace_count"])
    detail = api(demo_server, f"/api/v1/sessions/{quote(chosen['session_id'], safe='')}")
    # Read a turn: the user's words and the answer, as the API extracted them.
    second = detail["turns"][1]
    turn = page.locator(f'[data-testid="turn"][data-trace-id="{second["trace_id"]}"]')
    expect(turn.get_by_test_id("turn-user")).to_contain_text(second["input"]["text"])
    expect(turn.get_by_test_id("turn-assistant")).to_contain_text(second["output"]["text"][:60])
    turn.get_by_test_id("turn-trace-link").click()
    expect(page).to_have_url(re.compile(rf"/traces/{second['trace_id']}(\?project=[^&]+)?$"))
    expect(page.get_by_test_id("trace-title")).to_have_text(second["name"])


def test_follow_a_session_from_a_trace(page: Page, demo_server: TheodoliteServer) -> None:
    trace = next(t for t in api(demo_server, "/api/v1/traces", limit=100)["data"] if t["session_id"])
    page.goto(f"/traces/{trace['id']}")
    sign_in(page)
    link = page.get_by_test_id("trace-session")
    expect(link).to_have_text(trace["session_id"])
    link.click()
    expect(page).to_have_url(re.compile(rf"/sessions/{re.escape(quote(trace['session_id']))}(\?project=[^&]+)?$"))
    expect(page.locator(f'[data-testid="turn"][data-trace-id="{trace["id"]}"]')).to_be_visible()


def test_a_long_session_scrolls_to_its_end_with_few_turns_in_the_dom(page: Page, long_session: str) -> None:
    page.goto(f"/sessions/{long_session}")
    sign_in(page)
    expect(page.get_by_test_id("session-turn-count")).to_have_text(str(LONG_TURNS))
    status = page.get_by_test_id("thread-status")
    expect(status).to_have_attribute("data-loaded", str(TURNS_PER_PAGE))
    thread = page.get_by_test_id("thread")
    started = time.monotonic()
    most_in_dom = 0
    for loaded in range(TURNS_PER_PAGE, LONG_TURNS, TURNS_PER_PAGE):
        thread.evaluate("el => { el.scrollTop = el.scrollHeight; }")
        expect(status).to_have_attribute("data-loaded", str(min(loaded + TURNS_PER_PAGE, LONG_TURNS)))
        most_in_dom = max(most_in_dom, page.get_by_test_id("turn").count())
    thread.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    expect(status).to_contain_text("end of the session")
    elapsed = time.monotonic() - started
    # The last turn is there, with its words, and only the turns in view (plus overscan) are in the DOM.
    last = page.get_by_test_id("turn").last
    expect(last.get_by_test_id("turn-user")).to_contain_text(f"question {LONG_TURNS - 1}")
    expect(last.get_by_test_id("turn-assistant")).to_contain_text(f"answer {LONG_TURNS - 1}")
    assert 0 < most_in_dom <= 20, f"{most_in_dom} turns in the DOM"
    print(f"scrolled {LONG_TURNS} turns in {elapsed:.1f} s, at most {most_in_dom} in the DOM")


def test_the_users_list_to_a_users_page_with_the_chart_drawn(page: Page, demo_server: TheodoliteServer) -> None:
    page.goto("/traces")
    sign_in(page)
    page.get_by_role("link", name="Users", exact=True).click()
    expect(page).to_have_url(re.compile(r"/users(\?project=[^&]+)?$"))
    first = api(demo_server, "/api/v1/users", limit=50)["data"][0]
    row = page.get_by_test_id("user-row").first
    expect(row).to_have_attribute("data-id", first["user_id"])
    row.click()
    expect(page).to_have_url(re.compile(rf"/users/{re.escape(first['user_id'])}(\?project=[^&]+)?$"))
    user = api(demo_server, f"/api/v1/users/{first['user_id']}")
    expect(page.get_by_test_id("user-trace-count")).to_have_text(f"{user['trace_count']:,}")
    chart = page.get_by_test_id("activity-chart")
    expect(chart).to_have_attribute("data-drawn", "true")
    # uPlot drew on its canvas: some pixels are not transparent, and one bar or point per day.
    painted = chart.locator("canvas").evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"
    )
    assert painted > 1000, painted
    expect(page.get_by_test_id("user-trace-row")).to_have_count(min(20, user["trace_count"]))
    # A narrower range goes into the URL and reloads the figures.
    page.get_by_label("Time range").select_option("24h")
    expect(page).to_have_url(re.compile(r"[?&]range=24h"))
    # On to their traces in the list, filtered by the user (and the range).
    page.get_by_test_id("user-traces-link").click()
    expect(page).to_have_url(re.compile(rf"/traces\?range=24h&user={re.escape(first['user_id'])}"))
    users_shown = page.get_by_test_id("trace-row").locator("[data-column=user_id]")
    expect(users_shown.first).to_have_text(first["user_id"])


def test_an_unknown_session_or_user_says_so(page: Page) -> None:
    page.goto("/sessions/no-such-session")
    sign_in(page)
    expect(page.get_by_test_id("empty-state")).to_contain_text("No such session")
    page.goto("/users/no-such-user")
    expect(page.get_by_test_id("empty-state")).to_contain_text("No such user")


def test_the_sessions_list_scrolls_on_its_cursor_and_keeps_its_range_in_the_url(
    page: Page, demo_server: TheodoliteServer
) -> None:
    every, cursor = [], None
    for _ in range(100):
        body = api(demo_server, "/api/v1/sessions", limit=50, **({"cursor": cursor} if cursor else {}))
        every += [s["session_id"] for s in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(every) > 50, "the demo should hold more than a page of sessions"
    page.goto("/sessions")
    sign_in(page)
    status = page.get_by_test_id("list-status")
    expect(status).to_have_attribute("data-loaded", "50")
    scroller = page.get_by_test_id("session-scroll")
    for loaded in range(50, len(every), 50):
        scroller.evaluate("el => { el.scrollTop = el.scrollHeight; }")
        expect(status).to_have_attribute("data-loaded", str(min(loaded + 50, len(every))))
    expect(status).to_contain_text("end of the list")
    assert page.get_by_test_id("session-row").count() <= 60
    page.get_by_label("Time range").select_option("1h")
    expect(page).to_have_url(re.compile(r"/sessions\?range=1h(&project=[^&]+)?$"))
    page.reload()
    expect(page.get_by_label("Time range")).to_have_value("1h")
