"""`theodolite users`: the people who sign in to the web UI, and their roles in projects."""

from __future__ import annotations

import sys
from typing import Any

import click

from theodolite.cli.common import DATABASE_OPTIONS, database_from, run
from theodolite.cli.options import settings_options
from theodolite.storage.metadata.accounts import ROLES

ROLE_CHOICE = click.Choice(ROLES)


def _read_password(from_stdin: bool) -> str | None:
    """The password on standard input's first line (never on the command line, where `ps` shows
    it), or None: Theodolite generates one."""
    if not from_stdin:
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.ClickException("--password-stdin: standard input has no password")
    return line


def _show_generated(login: str, password: str) -> None:
    click.echo(f"password: {password}")
    click.echo(f"This one-time password is shown once; {login} chooses their own at the first sign-in.", err=True)


@click.group()
def users() -> None:
    """Create and list web UI users, reset passwords, give roles in projects."""


@users.command("create")
@settings_options(DATABASE_OPTIONS)
@click.argument("email")
@click.option("--name", default=None, help="User name (default: the email's local part).")
@click.option("--admin", is_flag=True, help="An admin may do everything in every project.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (else one is generated).")
@click.option("--project", default=None, help="Give the user a role in this project...")
@click.option("--role", type=ROLE_CHOICE, default=None, help="...this role (with --project).")
def users_create(
    email: str, name: str | None, admin: bool, password_stdin: bool, project: str | None, role: str | None,
    **values: Any,
) -> None:  # fmt: skip
    """Create a user; a generated password is printed once and must be changed at first sign-in."""
    from theodolite.server.accounts import create_user, grant_role
    from theodolite.storage.metadata.project_reads import project_id_named

    if (project is None) != (role is None):
        raise click.UsageError("give --project and --role together")
    password = _read_password(password_stdin)

    def work() -> None:
        with database_from(values, existing=False) as database:
            if project is not None:
                project_id_named(database, project)  # before creating: a typo must not leave a user without role
            created = create_user(database, email, name=name, password=password, is_admin=admin)
            if project is not None and role is not None:
                grant_role(database, created.user.name, project, role)
            user = created.user
            click.echo(f"user:     {user.name}\nemail:    {user.email}\nadmin:    {user.is_admin}")
            if project is not None:
                click.echo(f"role:     {role} in {project}")
            if created.generated:
                _show_generated(created.user.name, created.password)

    run(work)


@users.command("list")
@settings_options(DATABASE_OPTIONS)
def users_list(**values: Any) -> None:
    """List users and their roles (passwords are never shown)."""
    from theodolite.storage.metadata.account_reads import list_memberships, list_users

    def work() -> None:
        with database_from(values) as database:
            rows = list_users(database)
            if not rows:
                click.echo("no users")
            else:
                click.echo(f"{'NAME':<20} {'EMAIL':<32} {'ADMIN':<6} {'CREATED':<17} ROLES")
                for user in rows:
                    roles = ", ".join(f"{m.project_name}:{m.role}" for m in list_memberships(database, user.id)) or "-"
                    pending = "  (one-time password not changed yet)" if user.must_change_password else ""
                    click.echo(
                        f"{user.name:<20} {user.email:<32} {'yes' if user.is_admin else 'no':<6} "
                        f"{user.created_at:%Y-%m-%d %H:%M}  {roles}{pending}"
                    )

    run(work)


@users.command("reset-password")
@settings_options(DATABASE_OPTIONS)
@click.argument("login")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (else one is generated).")
def users_reset_password(login: str, password_stdin: bool, **values: Any) -> None:
    """Set a new password for LOGIN (email or user name) and end their sessions."""
    from theodolite.server.accounts import reset_password

    password = _read_password(password_stdin)

    def work() -> None:
        with database_from(values, migrate=True) as database:
            result = reset_password(database, login, password)
            click.echo(f"new password set for {result.user.name}; their sessions are ended")
            if result.generated:
                _show_generated(result.user.name, result.password)

    run(work)


@users.command("grant")
@settings_options(DATABASE_OPTIONS)
@click.argument("login")
@click.option("--project", required=True, help="Project name (must exist).")
@click.option(
    "--role", type=ROLE_CHOICE, required=True, help="owner: everything; member: read and write; viewer: read."
)
def users_grant(login: str, project: str, role: str, **values: Any) -> None:
    """Give LOGIN a role in a project (replacing the one they had)."""
    from theodolite.server.accounts import grant_role

    def work() -> None:
        with database_from(values, migrate=True) as database:
            user = grant_role(database, login, project, role)
            click.echo(f"{user.name} is {role} in {project}")

    run(work)


@users.command("revoke")
@settings_options(DATABASE_OPTIONS)
@click.argument("login")
@click.option("--project", required=True, help="Project name.")
def users_revoke(login: str, project: str, **values: Any) -> None:
    """Remove LOGIN's role in a project."""
    from theodolite.server.accounts import revoke_role

    def work() -> None:
        with database_from(values, migrate=True) as database:
            revoke_role(database, login, project)
            click.echo(f"{login} has no role in {project} any more")

    run(work)


@users.command("delete")
@settings_options(DATABASE_OPTIONS)
@click.argument("login")
def users_delete(login: str, **values: Any) -> None:
    """Delete LOGIN with their roles; their sessions end (not the last admin)."""
    from theodolite.server.accounts import remove_user

    def work() -> None:
        with database_from(values, migrate=True) as database:
            user = remove_user(database, login)
            click.echo(f"deleted {user.name} ({user.email})")

    run(work)


@users.command("set-admin")
@settings_options(DATABASE_OPTIONS)
@click.argument("login")
@click.option("--off", is_flag=True, help="Take the admin right away instead.")
def users_set_admin(login: str, off: bool, **values: Any) -> None:
    """Make LOGIN an admin (everything in every project), or with --off no longer one."""
    from theodolite.server.accounts import make_admin

    def work() -> None:
        with database_from(values, migrate=True) as database:
            user = make_admin(database, login, not off)
            click.echo(f"{user.name} is {'an admin' if user.is_admin else 'not an admin'}")

    run(work)
