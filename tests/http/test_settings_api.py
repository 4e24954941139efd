"""What the web UI's settings page needs of the API, through a real server on SQLite and PostgreSQL:
every role reads the project's members (owners alone change them), and a price override can be
removed again. Users and roles are made with the real `theodolite users` CLI."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest

from tests.support.accounts import cli_ok, csrf, new_secret, sign_in
from tests.support.server import TheodoliteServer

PASSWORD = "correct horse battery"
# A long key cache: a key revoked through the API must stop working at once all the same.
SERVER_SETTINGS = {"api_key_cache_s": "600"}
USERS = (("own", "owner"), ("mem", "member"), ("view", "viewer"))
PRICE = {"model": "acme-settings-7b", "provider": "acme", "effective_from": "2026-10-01T00:00:00Z",
         "input_mtok": "1.5", "output_mtok": "6"}  # fmt: skip


@pytest.fixture(scope="module")
def team(server: TheodoliteServer) -> TheodoliteServer:
    for name, role in USERS:
        cli_ok(server.database_url, "users", "create", f"{name}@example.com", "--project", "test", "--role", role,
               "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    return server


def test_every_role_reads_the_members_but_only_owners_change_them(team: TheodoliteServer) -> None:
    expected = [("mem", "member"), ("own", "owner"), ("view", "viewer")]
    for name in ("view", "mem", "own"):
        with sign_in(team, name, PASSWORD) as client:
            listed = client.get("/api/v1/members")
            assert listed.status_code == 200, (name, listed.text)
            assert [(m["name"], m["role"]) for m in listed.json()["data"]] == expected
    for name in ("view", "mem"):
        with sign_in(team, name, PASSWORD) as client:
            refused = client.put("/api/v1/members/view", json={"role": "owner"}, headers=csrf(client))
            assert refused.status_code == 403 and "needs owner" in refused.json()["error"]["message"]
            assert client.delete("/api/v1/members/view", headers=csrf(client)).status_code == 403
            assert client.get("/api/v1/keys").status_code == 403  # keys stay the owners'
    with team.client() as keyed:  # an API key reads data, not the users' emails
        assert keyed.get("/api/v1/members").status_code == 403


def test_a_price_override_is_removed_and_the_lookup_falls_back(team: TheodoliteServer) -> None:
    key = {"model": PRICE["model"], "provider": "acme", "effective_from": PRICE["effective_from"]}
    with sign_in(team, "mem", PASSWORD) as member:  # prices are project data: members set them
        assert member.put("/api/v1/prices", json=PRICE, headers=csrf(member)).status_code == 200
        found = member.get("/api/v1/prices/lookup", params={"model": PRICE["model"], "provider": "acme"})
        assert found.status_code == 200 and Decimal(found.json()["rates"]["input_mtok"]) == Decimal("1.5")
    with sign_in(team, "view", PASSWORD) as viewer:
        refused = viewer.delete("/api/v1/prices", params=key, headers=csrf(viewer))
        assert refused.status_code == 403 and "viewer" in refused.json()["error"]["message"]
    with sign_in(team, "mem", PASSWORD) as member:
        assert member.delete("/api/v1/prices", params=key).status_code == 403  # no CSRF token
        other_provider = member.delete("/api/v1/prices", params={**key, "provider": "other"}, headers=csrf(member))
        assert other_provider.status_code == 404 and "no price override" in other_provider.json()["error"]["message"]
        removed = member.delete("/api/v1/prices", params=key, headers=csrf(member))
        assert removed.status_code == 204, removed.text
        assert [p["model"] for p in member.get("/api/v1/prices").json()["data"]] == []
        gone = member.get("/api/v1/prices/lookup", params={"model": PRICE["model"], "provider": "acme"})
        assert gone.status_code == 404  # unknown to genai-prices: its calls are unpriced again
        assert member.delete("/api/v1/prices", params=key, headers=csrf(member)).status_code == 404


def test_an_override_for_any_provider_is_removed_without_a_provider(team: TheodoliteServer) -> None:
    price = {**PRICE, "provider": None, "effective_from": "1970-01-01T00:00:00Z"}
    with team.client() as keyed:  # the API key acts as a member, as the CLI-less automation does
        assert keyed.put("/api/v1/prices", json=price).status_code == 200
        [listed] = keyed.get("/api/v1/prices").json()["data"]
        params = {"model": listed["model"], "effective_from": listed["effective_from"]}
        assert keyed.delete("/api/v1/prices", params=params).status_code == 204
        assert keyed.get("/api/v1/prices").json()["data"] == []


def test_a_key_revoked_through_the_api_stops_working_at_once(team: TheodoliteServer) -> None:
    with sign_in(team, "own", PASSWORD) as owner:
        made = owner.post("/api/v1/keys", json={"note": "short-lived"}, headers=csrf(owner))
        assert made.status_code == 201, made.text
        with team.client(made.json()["secret_key"]) as keyed:
            assert keyed.get("/api/v1/traces").status_code == 200  # verified, now cached for 600 s
            revoked = owner.delete(f"/api/v1/keys/{made.json()['public_key']}", headers=csrf(owner))
            assert revoked.status_code == 204
            refused = keyed.get("/api/v1/traces")
            assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]
        with team.client() as other:  # the other keys still work (verified again)
            assert other.get("/api/v1/traces").status_code == 200


def demote(client: httpx.Client, other: str, barrier: threading.Barrier) -> int:
    barrier.wait()
    return client.put(f"/api/v1/members/{other}", json={"role": "member"}, headers=csrf(client)).status_code


def test_two_owners_demoting_each_other_at_once_leave_one_owner(team: TheodoliteServer) -> None:
    url = team.database_url
    new_secret(url, "race")  # creates the project
    for name in ("twin-a", "twin-b"):
        cli_ok(url, "users", "create", f"{name}@example.com", "--project", "race", "--role", "owner",
               "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    with sign_in(team, "twin-a", PASSWORD) as a, sign_in(team, "twin-b", PASSWORD) as b:
        pairs = ((a, "twin-b"), (b, "twin-a"))
        for _ in range(25):  # each round a real race: both checks may run before either write
            barrier = threading.Barrier(2, timeout=30)

            with ThreadPoolExecutor(2) as pool:
                futures = [pool.submit(demote, client, other, barrier) for client, other in pairs]
                statuses = sorted(future.result() for future in futures)
            owners = [m["name"] for m in a.get("/api/v1/members").json()["data"] if m["role"] == "owner"]
            assert owners, f"both owners demoted each other: {statuses}"
            # One won (200); the other was refused: 409 (last owner) or 403 (no longer owner when it was checked).
            assert statuses[0] == 200 and statuses[1] in (403, 409), statuses
            winner = a if owners[0] == "twin-a" else b
            loser = "twin-b" if owners[0] == "twin-a" else "twin-a"
            restored = winner.put(f"/api/v1/members/{loser}", json={"role": "owner"}, headers=csrf(winner))
            assert restored.status_code == 200, restored.text
