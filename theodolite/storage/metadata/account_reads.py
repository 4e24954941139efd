"""Users, their roles and their sessions: the reads. Every function blocks on the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.metadata.accounts import normalise_login


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    email: str
    name: str
    is_admin: bool
    must_change_password: bool
    password_hash: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionRecord:
    token_hash: str
    csrf_hash: str
    user: UserRecord
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class Membership:
    project_id: int
    project_name: str
    role: str


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    email: str
    name: str
    role: str


def _user(row) -> UserRecord:  # type: ignore[no-untyped-def]
    return UserRecord(
        int(row.id), row.email, row.name, bool(row.is_admin), bool(row.must_change_password),
        row.password_hash, row.created_at,
    )  # fmt: skip


def find_user(database: Database, login: str) -> UserRecord | None:
    """The user whose email or user name is `login` (any case), else None."""
    u = tables.users
    key = normalise_login(login)
    with database.connect() as conn:
        row = conn.execute(select(u).where(or_(u.c.email == key, u.c.name == key))).first()
    return None if row is None else _user(row)


def get_user(database: Database, user_id: int) -> UserRecord | None:
    with database.connect() as conn:
        row = conn.execute(select(tables.users).where(tables.users.c.id == user_id)).first()
    return None if row is None else _user(row)


def count_users(database: Database) -> int:
    with database.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.users)).scalar_one())


def list_users(database: Database) -> list[UserRecord]:
    with database.connect() as conn:
        return [_user(row) for row in conn.execute(select(tables.users).order_by(tables.users.c.name))]


def get_session(database: Database, token_hash: str) -> SessionRecord | None:
    """The session with this token digest and its user, expired or not (the caller decides)."""
    s, u = tables.auth_sessions, tables.users
    statement = (
        select(s.c.token_hash, s.c.csrf_hash, s.c.created_at.label("s_created"), s.c.last_seen_at, u)
        .join(u, u.c.id == s.c.user_id)
        .where(s.c.token_hash == token_hash)
    )
    with database.connect() as conn:
        row = conn.execute(statement).first()
    if row is None:
        return None
    return SessionRecord(row.token_hash, row.csrf_hash, _user(row), row.s_created, row.last_seen_at)


def list_memberships(database: Database, user_id: int | None) -> list[Membership]:
    """The projects a user has a role in, by project name; `user_id=None`: every project as its owner
    (what an admin may do)."""
    p, m = tables.projects, tables.project_members
    if user_id is None:
        statement = select(p.c.id, p.c.name).order_by(p.c.name)
        with database.connect() as conn:
            return [Membership(int(row.id), row.name, "owner") for row in conn.execute(statement)]
    statement = (
        select(p.c.id, p.c.name, m.c.role).join(m, m.c.project_id == p.c.id).where(m.c.user_id == user_id)
    ).order_by(p.c.name)
    with database.connect() as conn:
        return [Membership(int(row.id), row.name, row.role) for row in conn.execute(statement)]


def list_members(database: Database, project_id: int) -> list[Member]:
    """Who has a role in the project, by user name."""
    m, u = tables.project_members, tables.users
    statement = (
        select(u.c.id, u.c.email, u.c.name, m.c.role)
        .join(u, u.c.id == m.c.user_id)
        .where(m.c.project_id == project_id)
        .order_by(u.c.name)
    )
    with database.connect() as conn:
        return [Member(int(row.id), row.email, row.name, row.role) for row in conn.execute(statement)]
