"""Managing users: create, reset passwords, roles. Shared by `theodolite users`, first start and the API.

Every function blocks (database and password hashing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from theodolite.errors import BadRequestError, NotFoundError
from theodolite.server.passwords import check_password_policy, generate_password, hash_password
from theodolite.storage.engine import Database
from theodolite.storage.metadata.account_reads import UserRecord, find_user, get_user, list_users
from theodolite.storage.metadata.accounts import (
    AccountConflictError,
    check_role,
    delete_membership,
    delete_user,
    delete_user_sessions,
    insert_user,
    normalise_login,
    set_admin,
    update_password,
    upsert_membership,
)
from theodolite.storage.metadata.project_reads import project_id_named

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True, slots=True)
class NewPassword:
    """A user and the password just set; `generated`: Theodolite chose it (show it once)."""

    user: UserRecord
    password: str
    generated: bool


def check_email(email: str) -> str:
    email = normalise_login(email)
    if not EMAIL.match(email):
        raise BadRequestError(f"{email!r} is not an email address")
    return email


def check_user_name(name: str) -> str:
    name = normalise_login(name)
    if not USER_NAME.match(name):
        raise BadRequestError(
            f"{name!r} is not a valid user name: 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        )
    return name


def name_from_email(email: str) -> str:
    """A user name for an email when none is given: its local part, cleaned."""
    local = re.sub(r"[^a-z0-9._-]", "-", normalise_login(email).split("@", 1)[0]).strip(".-_") or "user"
    return local[:64]


def get_user_by_login(database: Database, login: str) -> UserRecord:
    user = find_user(database, login)
    if user is None:
        raise NotFoundError(f"no user with email or name {login!r}")
    return user


def create_user(
    database: Database, email: str, *, name: str | None = None, password: str | None = None, is_admin: bool = False
) -> NewPassword:
    """Create a user. Without `password`, one is generated and must be changed at first sign-in."""
    email = check_email(email)
    name = check_user_name(name if name is not None else name_from_email(email))
    generated = password is None
    password = generate_password() if password is None else check_password_policy(password)
    user_id = insert_user(
        database, email, name, hash_password(password), is_admin=is_admin, must_change_password=generated
    )
    user = get_user(database, user_id)
    assert user is not None
    return NewPassword(user, password, generated)


def reset_password(database: Database, login: str, password: str | None = None) -> NewPassword:
    """Set a new password (generated if not given: then it must be changed at the next sign-in) and end
    the user's sessions."""
    user = get_user_by_login(database, login)
    generated = password is None
    password = generate_password() if password is None else check_password_policy(password)
    update_password(database, user.id, hash_password(password), must_change_password=generated)
    delete_user_sessions(database, user.id)
    return NewPassword(get_user(database, user.id) or user, password, generated)


def remove_user(database: Database, login: str) -> UserRecord:
    """Delete the user, their roles and sessions (signed out at their next request). Refuses to delete
    the last admin (AccountConflictError): nobody could then manage users from the web UI."""
    user = get_user_by_login(database, login)
    _refuse_last_admin(database, user)
    delete_user(database, user.id)
    return user


def _refuse_last_admin(database: Database, user: UserRecord) -> None:
    if user.is_admin and [u.id for u in list_users(database) if u.is_admin] == [user.id]:
        raise AccountConflictError(f"{user.name} is the last admin: make another user admin first")


def make_admin(database: Database, login: str, is_admin: bool = True) -> UserRecord:
    """Make the user an admin, or no longer one (not the last admin: AccountConflictError)."""
    user = get_user_by_login(database, login)
    if not is_admin:
        _refuse_last_admin(database, user)
    set_admin(database, user.id, is_admin)
    return get_user(database, user.id) or user


def grant_role(database: Database, login: str, project: str, role: str) -> UserRecord:
    """Give the user `role` in the project called `project` (which must exist)."""
    check_role(role)
    user = get_user_by_login(database, login)
    upsert_membership(database, project_id_named(database, project), user.id, role)
    return user


def revoke_role(database: Database, login: str, project: str) -> None:
    user = get_user_by_login(database, login)
    if not delete_membership(database, project_id_named(database, project), user.id):
        raise NotFoundError(f"{user.name} has no role in project {project!r}")
