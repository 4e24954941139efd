"""/settings/scores in a real browser (Debian's chromium through Playwright) against a real
`theodolite serve`: a member creates a numeric and a categorical score config, sees a form mistake
before anything is sent and a taken name refused by the server (409), archives a config and restores
it; every effect is checked through the API, ingest included (a score out of range is a 400 while the
config is active). A viewer reads the list with the controls disabled."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.support.accounts import cli_ok
from tests.support.server import TheodoliteServer
from tests.ui.conftest import DEMO_PROJECT
from tests.ui.test_settings_page import PASSWORD, sign_in_at


@pytest.fixture(scope="module")
def team(demo_server: TheodoliteServer) -> TheodoliteServer:
    for name, role in (("member-scores", "member"), ("viewer-scores", "viewer")):
        cli_ok(demo_server.database_url, "users", "create", f"{name}@example.com", "--project", DEMO_PROJECT,
               "--role", role, "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    return demo_server


def score(server: TheodoliteServer, name: str, value: object) -> int:
    with server.client() as client:
        body = {"scores": [{"trace_id": uuid.uuid4().hex, "name": name, "value": value}]}
        return client.post("/api/v1/scores", json=body).status_code


def configs(server: TheodoliteServer) -> dict[str, dict]:
    with server.client() as client:
        return {c["name"]: c for c in client.get("/api/v1/score-configs").json()["data"]}


def test_a_member_creates_archives_and_restores_score_configs(page: Page, team: TheodoliteServer) -> None:
    sign_in_at(page, "/settings/scores", "member-scores")
    expect(page.get_by_role("tab", name="Scores")).to_have_attribute("aria-selected", "true")
    form = page.get_by_role("form", name="Create a score config")
    form.get_by_label("Score name").fill("ui-stars")
    form.get_by_label("Minimum").fill("1")
    form.get_by_label("Maximum").fill("five")
    form.get_by_role("button", name="Create the config").click()
    expect(page.get_by_test_id("score-config-problems")).to_contain_text('Maximum: "five" is not a number.')
    assert "ui-stars" not in configs(team)  # caught before it was sent

    form.get_by_label("Maximum").fill("5")
    form.get_by_label("Score description").fill("how good, 1 to 5")
    form.get_by_role("button", name="Create the config").click()
    expect(page.get_by_test_id("score-config-created")).to_contain_text("ui-stars")
    row = page.locator('[data-testid="score-config-row"][data-name="ui-stars"]')
    expect(row.get_by_test_id("score-config-rule")).to_have_text("1 to 5")
    expect(row.get_by_test_id("score-config-status")).to_have_text("active")
    stored = configs(team)["ui-stars"]
    assert (stored["data_type"], stored["min_value"], stored["max_value"]) == ("NUMERIC", 1, 5)
    assert stored["description"] == "how good, 1 to 5"
    assert score(team, "ui-stars", 7) == 400 and score(team, "ui-stars", 4) == 200

    form.get_by_label("Score name").fill("ui-tone")
    form.get_by_label("Score type").select_option("CATEGORICAL")
    expect(form.get_by_label("Minimum")).to_have_count(0)  # a range is for numbers only
    form.get_by_label("Categories").fill("rude = 0\npolite = 1\nneutral")
    form.get_by_role("button", name="Create the config").click()
    tone = page.locator('[data-testid="score-config-row"][data-name="ui-tone"]')
    expect(tone.get_by_test_id("score-config-rule")).to_have_text("rude (0), polite (1), neutral")
    expect(tone.get_by_test_id("score-config-type")).to_have_text("Categorical")
    assert configs(team)["ui-tone"]["categories"][2] == {"label": "neutral", "value": None}
    assert score(team, "ui-tone", "Rude") == 400 and score(team, "ui-tone", "rude") == 200

    form.get_by_label("Score name").fill("ui-stars")  # taken: the server says so
    form.get_by_label("Score type").select_option("BOOLEAN")
    form.get_by_role("button", name="Create the config").click()
    expect(page.get_by_test_id("action-error")).to_contain_text("Not done (409)")

    row.get_by_role("button", name="Archive").click()
    expect(row).to_contain_text("will no longer be checked")  # asks first
    row.get_by_role("button", name="Archive the config").click()
    expect(row.get_by_test_id("score-config-status")).to_have_text("archived")
    assert configs(team)["ui-stars"]["archived"] is True
    assert score(team, "ui-stars", 7) == 200  # archived: no longer checked
    row.get_by_role("button", name="Restore").click()
    expect(row.get_by_test_id("score-config-status")).to_have_text("active")
    assert score(team, "ui-stars", 7) == 400


def test_a_viewer_reads_the_configs_with_the_controls_disabled(page: Page, team: TheodoliteServer) -> None:
    with team.client() as client:
        client.post("/api/v1/score-configs", json={"name": "ui-viewed", "data_type": "BOOLEAN"})
    sign_in_at(page, "/settings/scores", "viewer-scores")
    expect(page.get_by_test_id("read-only-notice")).to_contain_text("members and owners")
    row = page.locator('[data-testid="score-config-row"][data-name="ui-viewed"]')
    expect(row.get_by_test_id("score-config-rule")).to_have_text("true or false")
    expect(row.get_by_role("button", name="Archive")).to_be_disabled()
    expect(page.get_by_role("button", name="Create the config")).to_be_disabled()
