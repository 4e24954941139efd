"""Users, project roles and sign-in sessions: the writes.

Passwords arrive here already hashed (`theodolite.server.passwords`); session and CSRF tokens
as sha256 digests. Emails and user names are stored lower-cased (`normalise_login`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from theodolite.errors import BadRequestError, NotFoundError, TheodoliteError
from theodolite.storage import tables
from theodolite.storage.engine import Database

# Ranked: each role can do what the ones before it can.
ROLES = ("viewer", "member", "owner")


class AccountConflictError(TheodoliteError):
    http_status = 409


class LastOwnerError(TheodoliteError):
    http_status = 409


def normalise_login(login: str) -> str:
    """The form emails and user names are stored and compared in."""
    return login.strip().lower()


def role_rank(role: str) -> int:
    return ROLES.index(role)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise BadRequestError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def _now() -> datetime:
    return datetime.now(UTC)


def insert_user(
    database: Database, email: str, name: str, password_hash: str, *, is_admin: bool, must_change_password: bool
) -> int:
    """Create a user; returns its id. Raises AccountConflictError if the email or name is taken. Blocks."""
    email, name = normalise_login(email), normalise_login(name)
    u = tables.users
    now = _now()
    with database.write_transaction() as conn:
        clash = conn.execute(
            select(u.c.email, u.c.name).where(or_(u.c.email.in_((email, name)), u.c.name.in_((email, name))))
        ).first()
        if clash is not None:
            raise AccountConflictError(f"a user with email or name {email!r} / {name!r} already exists")
        try:
            result = conn.execute(
                u.insert().values(
                    email=email,
                    name=name,
                    password_hash=password_hash,
                    is_admin=is_admin,
                    must_change_password=must_change_password,
                    created_at=now,
                    password_changed_at=now,
                )
            )
        except IntegrityError as exc:  # a concurrent insert of the same user (PostgreSQL)
            raise AccountConflictError(f"a user with email {email!r} or name {name!r} already exists") from exc
        return int(result.inserted_primary_key[0])


def update_password(database: Database, user_id: int, password_hash: str, *, must_change_password: bool) -> None:
    """Replace a user's password hash. Blocks."""
    with database.write_transaction() as conn:
        result = conn.execute(
            update(tables.users)
            .where(tables.users.c.id == user_id)
            .values(password_hash=password_hash, must_change_password=must_change_password, password_changed_at=_now())
        )
        if result.rowcount == 0:
            raise NotFoundError(f"no user with id {user_id}")


def rehash_password(database: Database, user_id: int, old_hash: str, new_hash: str) -> None:
    """Store a stronger hash of the same password (argon2 parameters raised); a no-op if the password
    changed meanwhile. Blocks."""
    u = tables.users
    with database.write_transaction() as conn:
        conn.execute(update(u).where(u.c.id == user_id, u.c.password_hash == old_hash).values(password_hash=new_hash))


def delete_user(database: Database, user_id: int) -> None:
    """Remove a user with their roles and sessions, in one transaction. Blocks."""
    with database.write_transaction() as conn:
        conn.execute(delete(tables.auth_sessions).where(tables.auth_sessions.c.user_id == user_id))
        conn.execute(delete(tables.project_members).where(tables.project_members.c.user_id == user_id))
        if conn.execute(delete(tables.users).where(tables.users.c.id == user_id)).rowcount == 0:
            raise NotFoundError(f"no user with id {user_id}")


def set_admin(database: Database, user_id: int, is_admin: bool) -> None:
    with database.write_transaction() as conn:
        conn.execute(update(tables.users).where(tables.users.c.id == user_id).values(is_admin=is_admin))


def upsert_membership(database: Database, project_id: int, user_id: int, role: str) -> None:
    """Give `user_id` the role `role` in the project (replacing the one it had). Blocks."""
    check_role(role)
    m = tables.project_members
    where = (m.c.project_id == project_id) & (m.c.user_id == user_id)
    with database.write_transaction() as conn:
        if conn.execute(update(m).where(where).values(role=role)).rowcount == 0:
            conn.execute(m.insert().values(project_id=project_id, user_id=user_id, role=role, created_at=_now()))


def change_membership_keeping_an_owner(database: Database, project_id: int, user_id: int, role: str | None) -> bool:
    """Give the user `role` in the project, or remove their role (`role=None`), unless that would leave
    the project without an owner (raises LastOwnerError). Returns False when removing a role the user
    did not have. Blocks.

    The check and the change are one transaction holding the project's row lock (SQLite's write
    transaction holds the database's write lock already): two owners demoting each other at the same
    time cannot both see the other still owner and both succeed."""
    if role is not None:
        check_role(role)
    p, m = tables.projects, tables.project_members
    where = (m.c.project_id == project_id) & (m.c.user_id == user_id)
    with database.write_transaction() as conn:
        conn.execute(select(p.c.id).where(p.c.id == project_id).with_for_update())
        owners = conn.execute(select(m.c.user_id).where(m.c.project_id == project_id, m.c.role == "owner")).scalars()
        if list(owners) == [user_id] and role != "owner":
            raise LastOwnerError("a project keeps at least one owner: make someone else owner first")
        if role is None:
            return conn.execute(delete(m).where(where)).rowcount > 0
        if conn.execute(update(m).where(where).values(role=role)).rowcount == 0:
            conn.execute(m.insert().values(project_id=project_id, user_id=user_id, role=role, created_at=_now()))
        return True


def delete_membership(database: Database, project_id: int, user_id: int) -> bool:
    """Remove the user's role in the project; False if it had none. Blocks."""
    m = tables.project_members
    with database.write_transaction() as conn:
        result = conn.execute(delete(m).where(m.c.project_id == project_id, m.c.user_id == user_id))
        return result.rowcount > 0


def insert_session(database: Database, token_hash: str, csrf_hash: str, user_id: int, now: datetime) -> None:
    with database.write_transaction() as conn:
        conn.execute(
            tables.auth_sessions.insert().values(
                token_hash=token_hash, csrf_hash=csrf_hash, user_id=user_id, created_at=now, last_seen_at=now
            )
        )


def touch_session(database: Database, token_hash: str, now: datetime) -> None:
    """Record activity (the idle expiry counts from it). Blocks."""
    s = tables.auth_sessions
    with database.write_transaction() as conn:
        conn.execute(update(s).where(s.c.token_hash == token_hash).values(last_seen_at=now))


def delete_session(database: Database, token_hash: str) -> None:
    s = tables.auth_sessions
    with database.write_transaction() as conn:
        conn.execute(delete(s).where(s.c.token_hash == token_hash))


def delete_user_sessions(database: Database, user_id: int, *, keep_token_hash: str | None = None) -> int:
    """Sign a user out everywhere (but the session `keep_token_hash`); returns how many ended. Blocks."""
    s = tables.auth_sessions
    statement = delete(s).where(s.c.user_id == user_id)
    if keep_token_hash is not None:
        statement = statement.where(s.c.token_hash != keep_token_hash)
    with database.write_transaction() as conn:
        return int(conn.execute(statement).rowcount)


def delete_expired_sessions(database: Database, *, idle_before: datetime, created_before: datetime) -> int:
    """Remove sessions past their idle or absolute expiry; returns how many. Blocks."""
    s = tables.auth_sessions
    with database.write_transaction() as conn:
        result = conn.execute(delete(s).where(or_(s.c.last_seen_at < idle_before, s.c.created_at < created_before)))
        return int(result.rowcount)
