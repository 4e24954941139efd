"""Users on a real SQLite file and a real PostgreSQL: the `theodolite users` CLI, the first admin, the demo's."""

from __future__ import annotations

import pytest

from tests.support.accounts import cli, cli_ok, new_secret
from theodolite.errors import ConfigurationError
from theodolite.server.bootstrap import bootstrap_admin
from theodolite.server.passwords import verify_password
from theodolite.server.settings import Settings
from theodolite.storage.engine import Database, open_database
from theodolite.storage.metadata.account_reads import find_user, list_memberships, list_users


def password_works(database_url: str, login: str, password: str) -> bool:
    database = open_database(database_url, migrate=False)
    try:
        user = find_user(database, login)
        return user is not None and verify_password(user.password_hash, password)
    finally:
        database.dispose()


def test_users_cli_create_list_grant_reset_revoke_delete(database_url: str) -> None:
    new_secret(database_url, "shop")  # the project
    out = cli_ok(database_url, "users", "create", "Ada@Example.com", "--project", "shop", "--role", "owner")
    assert "user:     ada\nemail:    ada@example.com\nadmin:    False\nrole:     owner in shop" in out
    one_time = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("password: "))
    assert len(one_time) >= 16 and password_works(database_url, "ada", one_time)
    cli_ok(database_url, "users", "create", "ops@example.com", "--name", "Ops", "--admin", "--password-stdin",
           stdin="ops password\n")  # fmt: skip
    assert password_works(database_url, "OPS", "ops password")

    listed = cli_ok(database_url, "users", "list")
    assert listed.splitlines()[0].split() == ["NAME", "EMAIL", "ADMIN", "CREATED", "ROLES"]
    ada_line = next(line for line in listed.splitlines() if line.startswith("ada "))
    assert "ada@example.com" in ada_line and "shop:owner" in ada_line and "one-time password not changed" in ada_line
    ops_line = next(line for line in listed.splitlines() if line.startswith("ops "))
    assert ops_line.split()[2] == "yes"
    assert one_time not in listed

    cli_ok(database_url, "users", "grant", "ops", "--project", "shop", "--role", "viewer")
    reset = cli_ok(database_url, "users", "reset-password", "ada")
    new_one = next(line.split(": ", 1)[1] for line in reset.splitlines() if line.startswith("password: "))
    assert new_one != one_time
    assert password_works(database_url, "ada", new_one) and not password_works(database_url, "ada", one_time)
    cli_ok(database_url, "users", "revoke", "ada", "--project", "shop")
    database = open_database(database_url, migrate=False)
    try:
        roles = {user.name: [(m.project_name, m.role) for m in list_memberships(database, user.id)]
                 for user in list_users(database)}  # fmt: skip
    finally:
        database.dispose()
    assert roles == {"ada": [], "ops": [("shop", "viewer")]}

    # ops is the only admin: neither deleted nor demoted; ada can be deleted.
    for args in (["delete", "ops"], ["set-admin", "ops", "--off"]):
        refused = cli(database_url, "users", *args)
        assert refused.returncode == 1 and "ops is the last admin" in refused.stderr
    assert "deleted ada (ada@example.com)" in cli_ok(database_url, "users", "delete", "ADA")
    assert [line.split()[0] for line in cli_ok(database_url, "users", "list").splitlines()[1:]] == ["ops"]
    assert "no user with email or name 'ada'" in cli(database_url, "users", "delete", "ada").stderr


@pytest.fixture(scope="module")
def shop_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file with project shop and user ada."""
    url = f"sqlite:///{tmp_path_factory.mktemp('users') / 'users.db'}"
    new_secret(url, "shop")
    cli_ok(url, "users", "create", "ada@example.com", "--password-stdin", stdin="password one\n")
    return url


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["create", "ada@example.com", "--password-stdin"], "password one\n", "already exists"),
        (["create", "not-an-email"], None, "is not an email address"),
        (["create", "eve@example.com", "--password-stdin"], "short\n", "at least 8 characters"),
        (["create", "eve@example.com", "--project", "nope", "--role", "viewer"], None, "no project named 'nope'"),
        (["create", "eve@example.com", "--project", "shop"], None, "give --project and --role together"),
        (["grant", "ada", "--project", "shop", "--role", "king"], None, "'king' is not one of"),
        (["grant", "nobody", "--project", "shop", "--role", "viewer"], None, "no user with email or name 'nobody'"),
        (["reset-password", "nobody"], None, "no user with email or name 'nobody'"),
        (["revoke", "ada", "--project", "shop"], None, "ada has no role in project 'shop'"),
    ],
)
def test_users_cli_refuses_bad_input_with_a_clear_message(
    shop_url: str, args: list[str], stdin: str | None, message: str
) -> None:
    url = shop_url
    result = cli(url, "users", *args, stdin=stdin)
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert "eve" not in cli_ok(url, "users", "list")  # nothing half-made


def admins(database: Database) -> list[tuple[str, bool, bool]]:
    return [(u.email, u.is_admin, u.must_change_password) for u in list_users(database)]


def test_init_admin_from_settings_is_idempotent(database: Database) -> None:
    settings = Settings(init_admin_email="Boss@Example.com", init_admin_password="boss password")
    assert bootstrap_admin(database, settings) is None
    assert bootstrap_admin(database, settings) is None
    assert admins(database) == [("boss@example.com", True, False)]
    boss = find_user(database, "boss")
    assert boss is not None and verify_password(boss.password_hash, "boss password")
    # A changed variable does not overwrite the password of the existing admin.
    assert bootstrap_admin(database, settings.model_copy(update={"init_admin_password": "other password"})) is None
    assert verify_password(find_user(database, "boss").password_hash, "boss password")  # type: ignore[union-attr]


def test_init_admin_makes_an_existing_user_admin(database: Database) -> None:
    from theodolite.server.accounts import create_user

    create_user(database, "lead@example.com", password="lead password")
    bootstrap_admin(database, Settings(init_admin_email="lead@example.com", init_admin_password="ignored pw"))
    assert admins(database) == [("lead@example.com", True, False)]


@pytest.mark.parametrize("given", [{"init_admin_email": "a@b.c"}, {"init_admin_password": "long enough"}])
def test_half_an_init_admin_is_a_configuration_error(database: Database, given: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="set both THEODOLITE_INIT_ADMIN_EMAIL"):
        bootstrap_admin(database, Settings(**given))


def test_without_settings_the_first_start_makes_an_admin_with_a_one_time_password(database: Database) -> None:
    first = bootstrap_admin(database, Settings())
    assert first is not None and first.generated and first.user.name == "admin"
    assert admins(database) == [("admin@localhost", True, True)]
    assert verify_password(find_user(database, "admin").password_hash, first.password)  # type: ignore[union-attr]
    assert bootstrap_admin(database, Settings()) is None  # printed once: users exist now
    assert len(list_users(database)) == 1
