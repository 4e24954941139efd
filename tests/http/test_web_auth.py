"""Web sign-in through a real server on SQLite and PostgreSQL: sessions, cookies, CSRF, roles, isolation.

Users and roles are made with the real `theodolite users` CLI; data arrives through OTLP.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie

import httpx
import pytest

from tests.support.accounts import cli_ok, csrf, login, new_secret, sign_in
from tests.support.otlp_bodies import request_of, span
from tests.support.server import SECRET_KEY, TheodoliteServer

ADMIN_EMAIL, ADMIN_PASSWORD = "root@example.com", "root-password-1"
PASSWORD = "correct horse battery"
SERVER_SETTINGS = {
    "init_admin_email": ADMIN_EMAIL,
    "init_admin_password": ADMIN_PASSWORD,
    "login_attempts_per_login": "4",
    "login_attempts_per_address": "10000",  # every test signs in from 127.0.0.1; that limit has its own test
}
USERS = (("owner-a", "alpha", "owner"), ("member-a", "alpha", "member"), ("viewer-a", "alpha", "viewer"),
         ("owner-b", "beta", "owner"))  # fmt: skip
# Routes under /api/v1 that act in no project (everything else must refuse a project without a role);
# those under ADMIN_ROUTES must refuse everyone but admins.
NOT_PROJECT_ROUTES = {"/api/v1/health", "/api/v1/auth/login", "/api/v1/auth/me", "/api/v1/auth/logout",
                      "/api/v1/auth/password"}  # fmt: skip
ADMIN_ROUTES = "/api/v1/admin/"


@dataclass(frozen=True)
class World:
    server: TheodoliteServer
    alpha_secret: str
    beta_public: str
    beta_secret: str
    beta_trace: str


def export(server: TheodoliteServer, secret: str, trace_id: bytes, name: str) -> str:
    body = request_of(span(trace_id, name, time.time_ns()))
    response = httpx.post(
        f"{server.base_url}/v1/traces",
        content=body,
        headers={"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200, response.text
    return trace_id.hex()


@pytest.fixture(scope="module")
def world(server: TheodoliteServer) -> World:
    url = server.database_url
    _, alpha_secret = new_secret(url, "alpha")
    beta_public, beta_secret = new_secret(url, "beta")
    for name, project, role in USERS:
        cli_ok(url, "users", "create", f"{name}@example.com", "--project", project, "--role", role,
               "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    export(server, alpha_secret, os.urandom(16), "alpha-trace")
    beta_trace = export(server, beta_secret, os.urandom(16), "beta-trace")
    return World(server, alpha_secret, beta_public, beta_secret, beta_trace)


def set_cookies(response: httpx.Response) -> dict[str, dict[str, str | bool]]:
    """Every Set-Cookie of a response: name -> its attributes (and value)."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            lower = header.lower()
            found[name] = {
                "value": morsel.value, "httponly": "httponly" in lower, "secure": "; secure" in lower,
                "samesite": morsel["samesite"].lower(), "path": morsel["path"], "max-age": morsel["max-age"],
            }  # fmt: skip
    return found


def test_sign_in_me_and_sign_out(world: World) -> None:
    server = world.server
    response = login(server, "Owner-A@Example.com", PASSWORD)  # emails in any case
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["email"] == "owner-a@example.com" and body["user"]["name"] == "owner-a"
    assert body["user"]["is_admin"] is False and body["user"]["must_change_password"] is False
    assert body["projects"] == [{"name": "alpha", "role": "owner"}]
    cookies = set_cookies(response)
    assert cookies["theodolite_session"] | {"value": ""} == {
        "value": "", "httponly": True, "secure": False, "samesite": "lax", "path": "/", "max-age": str(7 * 24 * 3600)
    }  # fmt: skip
    assert cookies["theodolite_csrf"]["httponly"] is False  # the page reads it
    assert cookies["theodolite_csrf"]["samesite"] == "lax" and cookies["theodolite_csrf"]["path"] == "/"

    with httpx.Client(base_url=server.base_url, cookies=response.cookies) as client:
        assert client.get("/api/v1/auth/me").json() == body
        assert client.get("/api/v1/traces").status_code == 200  # a session is accepted by the data routes
        assert client.post("/api/v1/auth/logout").status_code == 403  # sign-out changes state: CSRF token
        out = client.post("/api/v1/auth/logout", headers=csrf(client))
        assert out.status_code == 204
        cleared = set_cookies(out)
        assert cleared["theodolite_session"]["max-age"] == "0" and cleared["theodolite_csrf"]["max-age"] == "0"
    # The token itself is dead on the server, not only forgotten by the browser.
    replay = httpx.get(f"{server.base_url}/api/v1/auth/me", cookies=response.cookies)
    assert replay.status_code == 401
    assert httpx.get(f"{server.base_url}/api/v1/traces", cookies=response.cookies).status_code == 401
    assert "error" in replay.json()


def test_sign_in_reads_json_only_and_ends_the_previous_session(world: World) -> None:
    # A cross-site HTML form can post text/plain or form data, never application/json.
    as_form = httpx.post(f"{world.server.base_url}/api/v1/auth/login",
                         content=f'{{"login": "owner-a", "password": "{PASSWORD}"}}',
                         headers={"Content-Type": "text/plain"})  # fmt: skip
    assert as_form.status_code == 422 and "theodolite_session" not in as_form.cookies
    with sign_in(world.server, "owner-a", PASSWORD) as client:
        first = dict(client.cookies)
        again = client.post("/api/v1/auth/login", json={"login": "viewer-a", "password": PASSWORD})
        assert again.status_code == 200
        assert client.get("/api/v1/auth/me").json()["user"]["name"] == "viewer-a"
    assert httpx.get(f"{world.server.base_url}/api/v1/auth/me", cookies=first).status_code == 401


def test_user_name_signs_in_too_and_admin_comes_from_the_environment(world: World) -> None:
    assert login(world.server, "member-a", PASSWORD).json()["projects"] == [{"name": "alpha", "role": "member"}]
    admin = login(world.server, ADMIN_EMAIL, ADMIN_PASSWORD).json()
    assert admin["user"]["is_admin"] is True and admin["user"]["name"] == "root"
    names = [p["name"] for p in admin["projects"]]
    assert {"alpha", "beta", "test"} <= set(names) and names == sorted(names)  # admins: every project


def test_cookies_are_secure_under_https(world: World) -> None:
    # uvicorn takes the scheme from X-Forwarded-Proto when the proxy is trusted (127.0.0.1 by default).
    response = login(world.server, "viewer-a", PASSWORD, **{"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    cookies = set_cookies(response)
    assert cookies["theodolite_session"]["secure"] is True and cookies["theodolite_csrf"]["secure"] is True


def test_wrong_password_and_unknown_user_get_the_same_answer_in_similar_time(world: World) -> None:
    def attempt(login_: str) -> tuple[int, dict, float]:
        started = time.perf_counter()
        response = login(world.server, login_, "not the password")
        return response.status_code, response.json(), time.perf_counter() - started

    wrong = [attempt("owner-b") for _ in range(3)]
    unknown = [attempt(f"nobody-{i}@example.com") for i in range(3)]
    assert {(code, str(body)) for code, body, _ in wrong + unknown} == {
        (401, str({"error": {"status": 401, "message": "wrong email, user name or password"}}))
    }
    # An unknown user is checked against a dummy argon2 hash: without it the answer came ~50x faster.
    fastest_wrong, fastest_unknown = min(t for *_, t in wrong), min(t for *_, t in unknown)
    assert fastest_unknown > 0.25 * fastest_wrong, (fastest_unknown, fastest_wrong)
    assert login(world.server, "owner-b", PASSWORD).status_code == 200  # 3 failures: under the limit of 4


def test_sign_in_is_rate_limited_per_login(world: World) -> None:
    cli_ok(world.server.database_url, "users", "create", "target@example.com", "--password-stdin",
           stdin=PASSWORD + "\n")  # fmt: skip
    codes = [login(world.server, "target", "guess-" + str(i)).status_code for i in range(4)]
    assert codes == [401] * 4
    limited = login(world.server, "TARGET@example.com", PASSWORD)  # the right password, any spelling: still limited
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 900
    assert "too many sign-in attempts" in limited.json()["error"]["message"]
    assert login(world.server, "owner-b", PASSWORD).status_code == 200  # other logins are not affected
    log = world.server.log()
    assert "sign-in refused: user target from 127.0.0.1" in log and "sign-in rate-limited: user target" in log
    assert "guess-" not in log  # the typed text is never logged (people type passwords there)


def test_a_write_with_the_session_needs_the_csrf_token(world: World) -> None:
    score = {"scores": [{"trace_id": "a" * 32, "name": "csrf", "value": 1}]}
    with sign_in(world.server, "member-a", PASSWORD) as client, sign_in(world.server, "owner-a", PASSWORD) as other:
        assert client.post("/api/v1/scores", json=score).status_code == 403
        assert client.post("/api/v1/scores", json=score, headers={"X-CSRF-Token": "forged"}).status_code == 403
        # Another session's token, in both the header and the cookie: bound to its session, refused.
        stolen = other.cookies["theodolite_csrf"]
        session = {"theodolite_session": client.cookies["theodolite_session"], "theodolite_csrf": stolen}
        refused = httpx.post(f"{world.server.base_url}/api/v1/scores", json=score, cookies=session,
                             headers={"X-CSRF-Token": stolen})  # fmt: skip
        assert refused.status_code == 403, refused.text
        ok = client.post("/api/v1/scores", json=score, headers=csrf(client))
        assert ok.status_code == 200, ok.text
        assert client.get("/api/v1/traces").status_code == 200  # reads need no token
    # An API key is no ambient credential: no token needed.
    with world.server.client(world.alpha_secret) as keyed:
        assert keyed.post("/api/v1/scores", json=score).status_code == 200


def test_roles_viewer_reads_member_writes_owner_manages(world: World) -> None:
    score = {"scores": [{"trace_id": "b" * 32, "name": "role", "value": 1}]}
    price = {"model": "acme-role-test", "input_mtok": "1", "output_mtok": "2"}
    server = world.server
    with sign_in(server, "viewer-a", PASSWORD) as viewer:
        assert viewer.get("/api/v1/traces").status_code == 200
        assert viewer.get("/api/v1/prices").status_code == 200
        assert viewer.post("/api/v1/scores", json=score, headers=csrf(viewer)).status_code == 403
        forbidden = viewer.put("/api/v1/prices", json=price, headers=csrf(viewer))
        assert forbidden.status_code == 403 and "viewer" in forbidden.json()["error"]["message"]
        assert viewer.get("/api/v1/members").status_code == 200  # reads the team; changes nothing
        assert viewer.put("/api/v1/members/viewer-a", json={"role": "owner"}, headers=csrf(viewer)).status_code == 403
    with sign_in(server, "member-a", PASSWORD) as member:
        assert member.post("/api/v1/scores", json=score, headers=csrf(member)).status_code == 200
        assert member.put("/api/v1/prices", json=price, headers=csrf(member)).status_code == 200
        assert member.put("/api/v1/members/member-a", json={"role": "owner"}, headers=csrf(member)).status_code == 403
        assert member.get("/api/v1/keys").status_code == 403
        assert member.post("/api/v1/keys", json={}, headers=csrf(member)).status_code == 403
    with sign_in(server, "owner-a", PASSWORD) as owner:
        members = owner.get("/api/v1/members").json()["data"]
        assert [(m["name"], m["role"]) for m in members] == [("member-a", "member"), ("owner-a", "owner"),
                                                             ("viewer-a", "viewer")]  # fmt: skip
        promoted = owner.put("/api/v1/members/viewer-a", json={"role": "member"}, headers=csrf(owner))
        assert promoted.status_code == 200 and promoted.json()["role"] == "member"
        with sign_in(server, "viewer-a", PASSWORD) as now_member:
            assert now_member.post("/api/v1/scores", json=score, headers=csrf(now_member)).status_code == 200
        assert owner.put("/api/v1/members/viewer-a", json={"role": "viewer"}, headers=csrf(owner)).status_code == 200
        last = owner.put("/api/v1/members/owner-a", json={"role": "member"}, headers=csrf(owner))
        assert last.status_code == 409  # a project keeps an owner
        added = owner.put("/api/v1/members/target@example.com", json={"role": "viewer"}, headers=csrf(owner))
        assert added.status_code == 200, added.text
        assert owner.delete("/api/v1/members/target", headers=csrf(owner)).status_code == 204
        assert owner.delete("/api/v1/members/target", headers=csrf(owner)).status_code == 404
        key = owner.post("/api/v1/keys", json={"note": "from the UI"}, headers=csrf(owner))
        assert key.status_code == 201
        secret, public = key.json()["secret_key"], key.json()["public_key"]
        assert public in [k["public_key"] for k in owner.get("/api/v1/keys").json()["data"]]
    with server.client(secret) as keyed:
        assert keyed.get("/api/v1/traces", params={"name": "alpha-trace"}).json()["data"] != []  # alpha's key
        assert keyed.get("/api/v1/members").status_code == 403  # a key never manages keys or members
        assert keyed.post("/api/v1/keys", json={}).status_code == 403


def route_list() -> list[tuple[str, str]]:
    """Every (method, path) the app serves under /api/v1, from the app itself: a new route is covered."""
    from theodolite.server.app import create_app
    from theodolite.server.settings import Settings

    found = []
    for included in create_app(Settings()).routes:
        contexts = included.effective_route_contexts() if hasattr(included, "effective_route_contexts") else [included]
        for context in contexts:
            for method in getattr(context, "methods", None) or ():
                if context.path.startswith("/api/v1/") and method != "HEAD":
                    found.append((method, context.path))
    return sorted(found)


def test_route_list_sees_every_kind_of_route() -> None:
    routes = route_list()
    for expected in [("GET", "/api/v1/traces"), ("GET", "/api/v1/traces/{trace_id}"), ("POST", "/api/v1/scores"),
                     ("PUT", "/api/v1/prices"), ("DELETE", "/api/v1/keys/{public_key}")]:  # fmt: skip
        assert expected in routes
    assert len(routes) > 15


def fill_path(path: str, world: World) -> str:
    values = {"trace_id": world.beta_trace, "login": "owner-b", "public_key": world.beta_public,
              "session_id": "s1", "user_id": "u1", "observation_id": "0" * 16, "kind": "models",
              "name": "qa", "item_id": "q1", "config_id": "1", "experiment_id": "1", "rule_id": "1"}  # fmt: skip
    path = re.sub(r"\{(\w+):path\}", r"{\1}", path)  # a converter: the parameter may hold slashes
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"give the test a value for the parameter of {path}"
    return path


def test_no_route_shows_a_project_to_a_user_without_a_role_in_it(world: World) -> None:
    """Every /api/v1 route answers 404 for project beta to alpha's owner, alike for a project that does not
    exist, by header and by query parameter; beta's owner is answered."""
    routes = [(m, path) for m, path in route_list() if path not in NOT_PROJECT_ROUTES and ADMIN_ROUTES not in path]
    leaks = []
    with sign_in(world.server, "owner-a", PASSWORD) as outsider:
        for method, path in routes:
            url = fill_path(path, world)
            for project in ("beta", "no-such-project"):
                for how in ("header", "query"):
                    headers = csrf(outsider) | ({"X-Theodolite-Project": project} if how == "header" else {})
                    params = {"project": project} if how == "query" else {}
                    body = {} if method in ("POST", "PUT", "PATCH") else None
                    response = outsider.request(method, url, headers=headers, params=params, json=body)
                    message = response.json()["error"]["message"] if response.status_code == 404 else ""
                    if response.status_code != 404 or message != f"no project named {project!r} that you can access":
                        leaks.append((method, path, project, how, response.status_code, response.text[:200]))
    assert leaks == []
    # An API key of another project is refused in the same way.
    with world.server.client(world.alpha_secret) as keyed:
        for method, path in routes:
            response = keyed.request(method, fill_path(path, world), headers={"X-Theodolite-Project": "beta"},
                                     json={} if method in ("POST", "PUT", "PATCH") else None)  # fmt: skip
            assert response.status_code == 404, (method, path, response.text)
    # Without choosing a project, alpha's owner acts in alpha, where beta's trace is not.
    with sign_in(world.server, "owner-a", PASSWORD) as outsider:
        assert outsider.get(f"/api/v1/traces/{world.beta_trace}").status_code == 404
        assert outsider.get("/api/v1/traces", params={"name": "beta-trace"}).json()["data"] == []
    # The checks above can fail: beta's owner and the admin read beta's trace.
    for who, password in (("owner-b", PASSWORD), (ADMIN_EMAIL, ADMIN_PASSWORD)):
        with sign_in(world.server, who, password) as insider:
            got = insider.get(f"/api/v1/traces/{world.beta_trace}", headers={"X-Theodolite-Project": "beta"})
            assert got.status_code == 200 and got.json()["name"] == "beta-trace"
    with sign_in(world.server, "owner-b", PASSWORD) as owner_b:
        assert owner_b.get("/api/v1/traces", params={"name": "beta-trace"}).json()["data"] != []  # default: beta


def test_an_api_key_works_as_before(world: World) -> None:
    with world.server.client(SECRET_KEY) as keyed:
        assert keyed.get("/api/v1/traces").status_code == 200
        assert keyed.get("/api/v1/traces", params={"project": "test"}).status_code == 200  # its own, named
    assert httpx.get(f"{world.server.base_url}/api/v1/traces").status_code == 401


def session_row_age(world: World, client: httpx.Client, **moved_back_s: int) -> None:
    """Move the session's created_at / last_seen_at back in the database (the clock cannot be moved)."""
    import hashlib
    from datetime import timedelta

    from sqlalchemy import update

    from theodolite.storage import tables
    from theodolite.storage.engine import open_database

    database = open_database(world.server.database_url, migrate=False)
    try:
        token_hash = hashlib.sha256(client.cookies["theodolite_session"].encode()).hexdigest()
        s = tables.auth_sessions
        with database.engine.begin() as conn:
            row = conn.execute(s.select().where(s.c.token_hash == token_hash)).one()
            values = {column: getattr(row, column) - timedelta(seconds=age) for column, age in moved_back_s.items()}
            conn.execute(update(s).where(s.c.token_hash == token_hash).values(**values))
    finally:
        database.dispose()


@pytest.mark.parametrize(
    "moved_back", [{"last_seen_at": 12 * 3600 + 5}, {"created_at": 7 * 24 * 3600 + 5}], ids=["idle", "absolute"]
)
def test_sessions_expire(world: World, moved_back: dict[str, int]) -> None:
    with sign_in(world.server, "viewer-a", PASSWORD) as client, sign_in(world.server, "viewer-a", PASSWORD) as fresh:
        assert client.get("/api/v1/traces").status_code == 200
        session_row_age(world, client, **{k: v - 10 for k, v in moved_back.items()})  # just inside the limit
        assert client.get("/api/v1/auth/me").status_code == 200
        # Past it (that request refreshed last_seen_at: an active session does not go idle).
        session_row_age(world, client, **moved_back)
        expired = client.get("/api/v1/traces")
        assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]
        assert client.get("/api/v1/auth/me").status_code == 401  # and its row is gone
        assert fresh.get("/api/v1/auth/me").status_code == 200  # the user's other session lives on


def test_a_generated_password_must_be_changed_first(world: World) -> None:
    url = world.server.database_url
    out = cli_ok(url, "users", "create", "newcomer@example.com", "--project", "alpha", "--role", "viewer")
    one_time = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("password:"))
    response = login(world.server, "newcomer", one_time)
    assert response.json()["user"]["must_change_password"] is True
    with httpx.Client(base_url=world.server.base_url, cookies=response.cookies) as client:
        blocked = client.get("/api/v1/traces")
        assert blocked.status_code == 403 and "change the password" in blocked.json()["error"]["message"]
        change = "/api/v1/auth/password"
        new = {"current_password": one_time, "new_password": "my own passphrase"}
        assert client.post(change, json=new).status_code == 403  # CSRF token
        assert client.post(change, json=new | {"current_password": "wrong"}, headers=csrf(client)).status_code == 401
        assert client.post(change, json=new | {"new_password": "short"}, headers=csrf(client)).status_code == 400
        assert client.post(change, json=new, headers=csrf(client)).status_code == 204
        assert client.get("/api/v1/traces").status_code == 200  # the same session goes on
        assert client.get("/api/v1/auth/me").json()["user"]["must_change_password"] is False
    assert login(world.server, "newcomer", one_time).status_code == 401
    assert login(world.server, "newcomer", "my own passphrase").status_code == 200


def test_reset_password_through_the_cli_ends_the_sessions(world: World) -> None:
    url = world.server.database_url
    cli_ok(url, "users", "create", "forgetful@example.com", "--password-stdin", stdin="first password\n")
    with sign_in(world.server, "forgetful", "first password") as client:
        out = cli_ok(url, "users", "reset-password", "FORGETFUL@example.com", "--password-stdin",
                     stdin="second password\n")  # fmt: skip
        assert "sessions are ended" in out and "password:" not in out  # chosen, so not printed
        assert client.get("/api/v1/auth/me").status_code == 401
    assert login(world.server, "forgetful", "first password").status_code == 401
    signed = login(world.server, "forgetful", "second password")
    assert signed.status_code == 200 and signed.json()["user"]["must_change_password"] is False


def test_deleting_a_user_through_the_cli_ends_their_sessions(world: World) -> None:
    url = world.server.database_url
    cli_ok(url, "users", "create", "leaver@example.com", "--project", "alpha", "--role", "member",
           "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    with sign_in(world.server, "leaver", PASSWORD) as client:
        assert client.get("/api/v1/traces").status_code == 200
        cli_ok(url, "users", "delete", "leaver")
        assert client.get("/api/v1/traces").status_code == 401
    assert login(world.server, "leaver", PASSWORD).status_code == 401


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TheodoliteServer]:
    """A server allowing 3 sign-in attempts per client address."""
    workdir = tmp_path_factory.mktemp("strict")
    instance = TheodoliteServer(
        f"sqlite:///{workdir / 'theodolite.db'}", workdir, init_admin_email=ADMIN_EMAIL,
        init_admin_password=ADMIN_PASSWORD, login_attempts_per_address="3", login_window_s="600",
    ).start()  # fmt: skip
    try:
        yield instance
    finally:
        instance.stop()


def test_sign_in_is_rate_limited_per_client_address(strict_server: TheodoliteServer) -> None:
    for _ in range(5):  # successful sign-ins are not counted
        assert login(strict_server, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 200
    assert [login(strict_server, f"someone-{i}", "guess").status_code for i in range(3)] == [401, 401, 401]
    limited = login(strict_server, ADMIN_EMAIL, ADMIN_PASSWORD)  # another login, the right password: same address
    assert limited.status_code == 429
    assert 590 <= int(limited.headers["Retry-After"]) <= 600


def test_admin_routes_refuse_everyone_but_admins(world: World) -> None:
    routes = [(method, path) for method, path in route_list() if path.startswith(ADMIN_ROUTES)]
    assert len(routes) >= 5
    with sign_in(world.server, "owner-a", PASSWORD) as owner, world.server.client(world.alpha_secret) as keyed:
        for method, path in routes:
            body = {} if method in ("POST", "PUT", "PATCH") else None
            for client, headers in ((owner, csrf(owner)), (keyed, {})):
                response = client.request(method, fill_path(path, world), headers=headers, json=body)
                assert response.status_code == 403, (method, path, response.text)
    with httpx.Client(base_url=world.server.base_url) as anonymous:
        assert anonymous.get("/api/v1/admin/users").status_code == 401


def test_admins_manage_users_through_the_api(world: World) -> None:
    with sign_in(world.server, ADMIN_EMAIL, ADMIN_PASSWORD) as admin:
        listed = {u["name"]: u for u in admin.get("/api/v1/admin/users").json()["data"]}
        assert listed["owner-b"]["projects"] == [{"name": "beta", "role": "owner"}] and listed["root"]["is_admin"]
        assert admin.post("/api/v1/admin/users", json={"email": "ui@example.com"}).status_code == 403  # CSRF
        made = admin.post("/api/v1/admin/users", json={"email": "UI@example.com"}, headers=csrf(admin))
        assert made.status_code == 201, made.text
        one_time = made.json()["password"]
        assert made.json()["user"]["name"] == "ui" and made.json()["user"]["must_change_password"] is True
        again = admin.post("/api/v1/admin/users", json={"email": "ui@example.com"}, headers=csrf(admin))
        assert again.status_code == 409
        short = admin.post("/api/v1/admin/users", json={"email": "x@example.com", "password": "short"},
                           headers=csrf(admin))  # fmt: skip
        assert short.status_code == 400 and "at least 8" in short.json()["error"]["message"]
        assert login(world.server, "ui", one_time).status_code == 200
        reset = admin.post("/api/v1/admin/users/ui/password", headers=csrf(admin))
        assert reset.status_code == 200 and login(world.server, "ui", one_time).status_code == 401
        assert login(world.server, "ui", reset.json()["password"]).status_code == 200
        promoted = admin.patch("/api/v1/admin/users/ui", json={"is_admin": True}, headers=csrf(admin))
        assert promoted.status_code == 200 and promoted.json()["is_admin"] is True
        assert admin.delete("/api/v1/admin/users/ui", headers=csrf(admin)).status_code == 204
        assert admin.delete("/api/v1/admin/users/ui", headers=csrf(admin)).status_code == 404
        last = admin.patch("/api/v1/admin/users/root", json={"is_admin": False}, headers=csrf(admin))
        assert last.status_code == 409 and "last admin" in last.json()["error"]["message"]


def test_header_and_query_naming_two_projects_is_a_bad_request(world: World) -> None:
    with sign_in(world.server, ADMIN_EMAIL, ADMIN_PASSWORD) as admin:
        both = admin.get("/api/v1/traces", params={"project": "alpha"}, headers={"X-Theodolite-Project": "beta"})
        assert both.status_code == 400 and "name different projects" in both.json()["error"]["message"]
        same = admin.get("/api/v1/traces", params={"project": "beta", "name": "beta-trace"},
                         headers={"X-Theodolite-Project": "beta"})  # fmt: skip
        assert [t["id"] for t in same.json()["data"]] == [world.beta_trace]


def test_an_owner_manages_only_their_own_projects_keys_and_members(world: World) -> None:
    with sign_in(world.server, "owner-a", PASSWORD) as owner:  # acting in alpha
        assert owner.delete(f"/api/v1/keys/{world.beta_public}", headers=csrf(owner)).status_code == 404
        assert world.beta_public not in [k["public_key"] for k in owner.get("/api/v1/keys").json()["data"]]
        assert "owner-b" not in [m["name"] for m in owner.get("/api/v1/members").json()["data"]]
        assert owner.delete("/api/v1/members/owner-b", headers=csrf(owner)).status_code == 404  # no role in alpha
    with world.server.client(world.beta_secret) as keyed:
        assert keyed.get("/api/v1/traces").status_code == 200  # beta's key was not revoked
    assert login(world.server, "owner-b", PASSWORD).json()["projects"] == [{"name": "beta", "role": "owner"}]
