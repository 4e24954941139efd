"""/settings in a real browser (Debian's chromium through Playwright) against a real `theodolite serve`:
an owner creates an API key and sees its secret once, revokes it, sets a price override, gives a user
a role; a viewer sees the controls disabled with the reason, and a change forced past them is refused
by the server (403) and shown as such; an admin creates a user and sees the one-time password once.

Users and roles are made with the real `theodolite users` CLI; every effect is checked through the API."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.accounts import cli_ok, login
from tests.support.server import TheodoliteServer
from tests.ui.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_PROJECT

PASSWORD = "settings-page-password"
# What a user forcing the page would do (or a crafted request): every disabled control enabled.
ENABLE_ALL = (
    "document.querySelectorAll('input:disabled, select:disabled, button:disabled')"
    ".forEach(el => { el.disabled = false; })"
)


@pytest.fixture(scope="module")
def team(demo_server: TheodoliteServer) -> TheodoliteServer:
    url = demo_server.database_url
    for name, role in (("owner-ui", "owner"), ("viewer-ui", "viewer")):
        cli_ok(url, "users", "create", f"{name}@example.com", "--project", DEMO_PROJECT, "--role", role,
               "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    cli_ok(url, "users", "create", "newcomer@example.com", "--password-stdin", stdin=PASSWORD + "\n")
    return demo_server


def sign_in_at(page: Page, path: str, who: str, password: str = PASSWORD) -> None:
    """Open `path` signed out, sign in on the form it redirects to, and land back on `path`."""
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email or user name").fill(who)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(path.split("?")[0])))


def as_owner(server: TheodoliteServer) -> httpx.Client:
    response = login(server, "owner-ui", PASSWORD)
    assert response.status_code == 200, response.text
    return httpx.Client(base_url=server.base_url, cookies=response.cookies, timeout=30)


def test_an_owner_creates_a_key_sees_its_secret_once_and_revokes_it(page: Page, team: TheodoliteServer) -> None:
    sign_in_at(page, "/settings/keys", "owner-ui")
    expect(page.get_by_test_id("read-only-notice")).to_have_count(0)
    page.get_by_label("Key note").fill("browser test key")
    page.get_by_role("button", name="Create a key").click()
    shown = page.get_by_test_id("new-key-secret")
    expect(shown).to_contain_text("you will not see it again")
    secret = page.get_by_test_id("new-key-secret-value").inner_text().strip()
    public = page.get_by_test_id("new-key-public").inner_text().strip()
    assert secret.startswith("sk-th-") and public.startswith("pk-th-")
    with team.client(secret) as keyed:  # the secret shown is a working key of the project
        assert keyed.get("/api/v1/traces", params={"limit": 1}).status_code == 200
    row = page.locator(f'[data-testid="key-row"][data-public-key="{public}"]')
    expect(row).to_contain_text("browser test key")
    expect(row.get_by_test_id("key-status")).to_have_text("active")

    page.reload()  # the secret was in the page's memory only
    expect(row).to_be_visible()
    expect(page.get_by_test_id("new-key-secret")).to_have_count(0)
    assert secret not in page.content()

    row.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("will be refused (401)")  # asks first
    row.get_by_role("button", name="Revoke the key").click()
    expect(row.get_by_test_id("key-status")).to_contain_text("revoked")
    with team.client(secret) as keyed:
        assert keyed.get("/api/v1/traces", params={"limit": 1}).status_code == 401


def test_an_owner_sets_a_price_override_and_looks_up_the_price_in_force(page: Page, team: TheodoliteServer) -> None:
    sign_in_at(page, "/settings/prices", "owner-ui")
    form = page.get_by_role("form", name="Set a price override")
    form.get_by_label("Model").fill("acme-ui-7b")
    form.get_by_label("Provider").fill("acme")
    form.get_by_label("From").fill("2026-01-15")
    form.get_by_label("Input USD per million tokens").fill("0.5")
    form.get_by_label("Output USD per million tokens").fill("2.25")
    form.get_by_label("Price note").fill("our GPUs")
    form.get_by_role("button", name="Save the price").click()
    expect(page.get_by_test_id("price-saved")).to_contain_text("acme-ui-7b")
    row = page.get_by_test_id("price-row").filter(has_text="acme-ui-7b")
    expect(row).to_contain_text("2026-01-15")
    expect(row.get_by_test_id("price-input_mtok")).to_have_text("0.5")
    expect(row.get_by_test_id("price-output_mtok")).to_have_text("2.25")
    with as_owner(team) as owner:
        [stored] = [p for p in owner.get("/api/v1/prices").json()["data"] if p["model"] == "acme-ui-7b"]
    assert (stored["provider"], stored["effective_from"][:10], stored["note"]) == ("acme", "2026-01-15", "our GPUs")
    assert float(stored["input_mtok"]) == 0.5 and float(stored["output_mtok"]) == 2.25

    # Which price applies: from the override, and the lookup is in the URL.
    page.get_by_label("Lookup model").fill("acme-ui-7b")
    page.get_by_label("Lookup provider").fill("acme")
    page.get_by_role("button", name="Look up").click()
    expect(page).to_have_url(re.compile(r"/settings/prices\?model=acme-ui-7b&provider=acme"))
    expect(page.get_by_test_id("price-source")).to_have_text("override acme-ui-7b from 2026-01-15")
    expect(page.get_by_test_id("rate-output_mtok")).to_have_text("2.25")
    page.reload()
    expect(page.get_by_test_id("price-source")).to_have_text("override acme-ui-7b from 2026-01-15")
    # A public model is priced from genai-prices; an unknown one is unpriced, said so, not $0.
    page.goto("/settings/prices?model=gpt-4o&provider=openai")
    expect(page.get_by_test_id("price-source")).to_have_text("genai-prices gpt-4o")
    page.goto("/settings/prices?model=nobody-knows-7b")
    expect(page.get_by_test_id("price-lookup")).to_contain_text("unpriced")

    # A rate that is not a number is caught before it is sent.
    form.get_by_label("Model").fill("acme-ui-7b")
    form.get_by_label("Input USD per million tokens").fill("cheap")
    form.get_by_role("button", name="Save the price").click()
    expect(page.get_by_test_id("price-form-errors")).to_contain_text('not "cheap"')

    row.get_by_role("button", name="Remove").click()
    row.get_by_role("button", name="Remove the override").click()
    expect(page.get_by_test_id("price-row").filter(has_text="acme-ui-7b")).to_have_count(0)


def test_an_owner_gives_a_user_a_role_changes_it_and_removes_it(page: Page, team: TheodoliteServer) -> None:
    sign_in_at(page, "/settings/members", "owner-ui")
    page.get_by_label("User email or name").fill("newcomer@example.com")
    page.get_by_label("New role").select_option("member")
    page.get_by_role("button", name="Give the role").click()
    row = page.locator('[data-testid="member-row"][data-member="newcomer"]')
    expect(row.get_by_label("Role of newcomer")).to_have_value("member")
    assert login(team, "newcomer", PASSWORD).json()["projects"] == [{"name": DEMO_PROJECT, "role": "member"}]

    row.get_by_label("Role of newcomer").select_option("viewer")
    expect(row.get_by_label("Role of newcomer")).to_have_value("viewer")
    with as_owner(team) as owner:
        roles = {m["name"]: m["role"] for m in owner.get("/api/v1/members").json()["data"]}
    assert roles["newcomer"] == "viewer"

    # The last owner cannot step down: the server's 409 is shown.
    page.locator('[data-testid="member-row"][data-member="owner-ui"]').get_by_label("Role of owner-ui").select_option(
        "member"
    )
    expect(page.get_by_test_id("action-error")).to_contain_text("at least one owner")

    row.get_by_role("button", name="Remove").click()
    row.get_by_role("button", name="Remove").last.click()  # the confirmation
    expect(row).to_have_count(0)
    assert login(team, "newcomer", PASSWORD).json()["projects"] == []


def test_a_viewer_sees_why_the_controls_are_disabled_and_a_forced_change_is_refused(
    page: Page, team: TheodoliteServer
) -> None:
    sign_in_at(page, "/settings/members", "viewer-ui")
    expect(page.get_by_test_id("settings-role")).to_have_text("your role: viewer")
    notice = page.get_by_test_id("read-only-notice")
    expect(notice).to_contain_text("only owners give or remove roles")
    expect(notice).to_contain_text("owner-ui")  # whom to ask
    # The team is listed, read-only.
    expect(page.locator('[data-testid="member-row"][data-member="owner-ui"]')).to_be_visible()
    expect(page.get_by_label("Role of viewer-ui")).to_be_disabled()
    expect(page.get_by_role("button", name="Give the role")).to_be_disabled()
    expect(page.get_by_label("User email or name")).to_be_disabled()

    # Forced past the disabled controls (as a crafted request would be): the server refuses.
    page.evaluate(ENABLE_ALL)
    page.get_by_label("User email or name").fill("viewer-ui")
    page.get_by_label("New role").select_option("owner")
    page.get_by_role("button", name="Give the role").click()
    error = page.get_by_test_id("action-error")
    expect(error).to_contain_text("Refused by the server (403)")
    expect(error).to_contain_text("is viewer; this needs owner")
    assert login(team, "viewer-ui", PASSWORD).json()["projects"] == [{"name": DEMO_PROJECT, "role": "viewer"}]

    # Keys: no list for a viewer, creation disabled, and refused when forced.
    page.get_by_role("tab", name="API keys").click()
    expect(page).to_have_url(re.compile(r"/settings/keys$"))
    expect(page.get_by_test_id("read-only-notice")).to_contain_text("only its owners see, create and revoke API keys")
    expect(page.get_by_role("button", name="Create a key")).to_be_disabled()
    page.get_by_role("button", name="Create a key").evaluate("el => { el.disabled = false; }")
    page.get_by_role("button", name="Create a key").click()
    expect(page.get_by_test_id("action-error")).to_contain_text("Refused by the server (403)")
    expect(page.get_by_test_id("new-key-secret")).to_have_count(0)

    # Prices: readable, not settable by a viewer.
    page.get_by_role("tab", name="Prices").click()
    expect(page.get_by_test_id("read-only-notice")).to_contain_text("members and owners set prices")
    save = page.get_by_role("button", name="Save the price")
    expect(save).to_be_disabled()
    page.evaluate(ENABLE_ALL)
    form = page.get_by_role("form", name="Set a price override")
    form.get_by_label("Model").fill("viewer-forced-model")
    form.get_by_label("Input USD per million tokens").fill("1")
    save.click()
    expect(page.get_by_test_id("action-error")).to_contain_text("Refused by the server (403)")
    with as_owner(team) as owner:
        assert "viewer-forced-model" not in [p["model"] for p in owner.get("/api/v1/prices").json()["data"]]


def test_an_admin_creates_a_user_and_sees_the_one_time_password_once(page: Page, team: TheodoliteServer) -> None:
    sign_in_at(page, "/settings/users", ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_label("New user email").fill("made-in-ui@example.com")
    page.get_by_role("button", name="Create the user").click()
    shown = page.get_by_test_id("one-time-password")
    expect(shown).to_contain_text("you will not see it again")
    password = page.get_by_test_id("one-time-password-value").inner_text().strip()
    answer = login(team, "made-in-ui", password)
    assert answer.status_code == 200 and answer.json()["user"]["must_change_password"] is True
    expect(page.locator('[data-testid="user-row"][data-user="made-in-ui"]')).to_contain_text("one-time password")
    page.reload()
    expect(page.get_by_test_id("one-time-password")).to_have_count(0)
    row = page.locator('[data-testid="user-row"][data-user="made-in-ui"]')
    row.get_by_role("button", name="Delete").click()
    row.get_by_role("button", name="Delete the user").click()
    expect(row).to_have_count(0)
    assert login(team, "made-in-ui", password).status_code == 401
