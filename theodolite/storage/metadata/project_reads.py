"""Which project a credential belongs to, and key listings."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from theodolite.errors import NotFoundError
from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.metadata.projects import hash_secret


@dataclass(frozen=True, slots=True)
class KeyInfo:
    public_key: str
    project_id: int
    project_name: str
    display_secret: str
    note: str | None
    created_at: datetime
    revoked_at: datetime | None


def _key_query():  # type: ignore[no-untyped-def]
    k, p = tables.api_keys, tables.projects
    return select(
        k.c.public_key,
        k.c.project_id,
        p.c.name.label("project_name"),
        k.c.display_secret,
        k.c.note,
        k.c.created_at,
        k.c.revoked_at,
        k.c.secret_hash,
    ).join(p, p.c.id == k.c.project_id)


def get_project_for_secret(database: Database, secret: str, public_key: str | None = None) -> int | None:
    """The project id of an active key with this secret (and public key, if given), else None. Blocks."""
    digest = hash_secret(secret)
    statement = _key_query().where(tables.api_keys.c.secret_hash == digest, tables.api_keys.c.revoked_at.is_(None))
    with database.connect() as conn:
        row = conn.execute(statement).first()
    if row is None or not hmac.compare_digest(row.secret_hash, digest):
        return None
    if public_key is not None and row.public_key != public_key:
        return None
    return int(row.project_id)


def list_keys(database: Database, project_name: str | None = None, *, project_id: int | None = None) -> list[KeyInfo]:
    statement = _key_query().order_by(tables.api_keys.c.created_at)
    if project_name is not None:
        statement = statement.where(tables.projects.c.name == project_name)
    if project_id is not None:
        statement = statement.where(tables.api_keys.c.project_id == project_id)
    with database.connect() as conn:
        rows = conn.execute(statement).all()
    return [
        KeyInfo(r.public_key, r.project_id, r.project_name, r.display_secret, r.note, r.created_at, r.revoked_at)
        for r in rows
    ]


def project_ids(database: Database) -> dict[str, int]:
    """Every project's id by name. Blocks."""
    with database.connect() as conn:
        return {name: id_ for id_, name in conn.execute(select(tables.projects.c.id, tables.projects.c.name))}


def project_id_named(database: Database, name: str) -> int:
    """The id of the project called `name`. Raises NotFoundError listing the projects there are."""
    ids = project_ids(database)
    if name not in ids:
        known = ", ".join(sorted(ids)) or "none yet"
        raise NotFoundError(f"no project named {name!r} (projects: {known})")
    return ids[name]


def project_name(database: Database, project_id: int) -> str:
    """The name of the project with this id (a key's project: it exists). Blocks."""
    with database.connect() as conn:
        return str(conn.execute(select(tables.projects.c.name).where(tables.projects.c.id == project_id)).scalar_one())
