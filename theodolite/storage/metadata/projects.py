"""Projects and API keys: the writes. Secrets are stored as sha256 digests only."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from theodolite.errors import NotFoundError, TheodoliteError
from theodolite.storage import tables
from theodolite.storage.engine import Database


class KeyConflictError(TheodoliteError):
    http_status = 409


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key as created: the secret is shown to the user this once and never stored."""

    project_id: int
    project_name: str
    public_key: str
    secret_key: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def display_secret(secret: str) -> str:
    return f"{secret[:6]}…{secret[-4:]}" if len(secret) > 12 else "…"


def new_public_key() -> str:
    return "pk-th-" + secrets.token_hex(8)


def new_secret_key() -> str:
    return "sk-th-" + secrets.token_urlsafe(32)


def _now() -> datetime:
    return datetime.now(UTC)


def get_or_create_project(database: Database, name: str) -> tuple[int, bool]:
    """(project id, created?) for the project called `name`. Blocks."""
    with database.write_transaction() as conn:
        existing = conn.execute(select(tables.projects.c.id).where(tables.projects.c.name == name)).scalar()
        if existing is not None:
            return int(existing), False
        result = conn.execute(tables.projects.insert().values(name=name, created_at=_now()))
        return int(result.inserted_primary_key[0]), True


def count_projects(database: Database) -> int:
    with database.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.projects)).scalar_one())


def create_key(
    database: Database,
    project_name: str,
    *,
    public_key: str | None = None,
    secret_key: str | None = None,
    note: str | None = None,
) -> IssuedKey:
    """Create a key for a project (created if missing). Raises KeyConflictError if the key exists."""
    project_id, _ = get_or_create_project(database, project_name)
    public_key = public_key or new_public_key()
    secret_key = secret_key or new_secret_key()
    digest = hash_secret(secret_key)
    with database.write_transaction() as conn:
        clash = conn.execute(
            select(tables.api_keys.c.id).where(
                (tables.api_keys.c.public_key == public_key) | (tables.api_keys.c.secret_hash == digest)
            )
        ).first()
        if clash is not None:
            raise KeyConflictError(f"a key with public key {public_key!r} or this secret already exists")
        conn.execute(
            tables.api_keys.insert().values(
                id=uuid.uuid4().hex,
                project_id=project_id,
                public_key=public_key,
                secret_hash=digest,
                display_secret=display_secret(secret_key),
                note=note,
                created_at=_now(),
            )
        )
    return IssuedKey(project_id, project_name, public_key, secret_key)


def ensure_key(database: Database, project_name: str, public_key: str, secret_key: str) -> bool:
    """Idempotent headless set-up: make sure this exact key exists. True if it was created now."""
    digest = hash_secret(secret_key)
    with database.connect() as conn:
        row = conn.execute(
            select(tables.api_keys.c.secret_hash).where(tables.api_keys.c.public_key == public_key)
        ).first()
    if row is not None:
        if row.secret_hash != digest:
            raise KeyConflictError(f"public key {public_key!r} exists with a different secret")
        return False
    create_key(database, project_name, public_key=public_key, secret_key=secret_key, note="initial key")
    return True


def revoke_key(database: Database, public_key: str, project_id: int | None = None) -> None:
    """Revoke an active key (of `project_id` only, when given). Raises NotFoundError. Blocks."""
    k = tables.api_keys
    statement = update(k).where(k.c.public_key == public_key, k.c.revoked_at.is_(None)).values(revoked_at=_now())
    if project_id is not None:
        statement = statement.where(k.c.project_id == project_id)
    with database.write_transaction() as conn:
        result = conn.execute(statement)
        if result.rowcount == 0:
            raise NotFoundError(f"no active key with public key {public_key!r}")
