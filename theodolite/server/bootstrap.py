"""First start: make sure a project, a key and an admin exist, from settings or freshly generated."""

from __future__ import annotations

import logging

from theodolite.errors import ConfigurationError, TheodoliteError
from theodolite.server.accounts import NewPassword, create_user, make_admin
from theodolite.server.settings import Settings
from theodolite.storage.engine import Database
from theodolite.storage.metadata.account_reads import count_users, find_user
from theodolite.storage.metadata.projects import IssuedKey, count_projects, create_key, ensure_key

log = logging.getLogger(__name__)

DEFAULT_PROJECT = "default"
FIRST_ADMIN_NAME = "admin"
FIRST_ADMIN_EMAIL = "admin@localhost"


def bootstrap_projects(database: Database, settings: Settings) -> IssuedKey | None:
    """Apply THEODOLITE_INIT_* (idempotent), or on an empty database create the default project.

    Returns the key generated now (its secret is shown once by the caller), else None. Blocks.
    """
    init = (settings.init_public_key, settings.init_secret_key)
    if any(init) and not all(init):
        raise ConfigurationError("set both THEODOLITE_INIT_PUBLIC_KEY and THEODOLITE_INIT_SECRET_KEY, or neither")
    if all(init):
        project = settings.init_project or DEFAULT_PROJECT
        if ensure_key(database, project, settings.init_public_key or "", settings.init_secret_key or ""):
            log.info("created project %r with the key from THEODOLITE_INIT_PUBLIC_KEY", project)
        return None
    if count_projects(database) == 0:
        return create_key(database, settings.init_project or DEFAULT_PROJECT, note="created on first start")
    return None


def describe_new_key(key: IssuedKey, base_url: str) -> str:
    return (
        "\n"
        f"  Theodolite created project {key.project_name!r} and its first API key.\n"
        "  The secret is shown this once; store it now.\n\n"
        f"    public key: {key.public_key}\n"
        f"    secret key: {key.secret_key}\n\n"
        f"  OTLP endpoint: {base_url}/v1/traces  (header: Authorization: Bearer <secret key>)\n"
    )


def bootstrap_admin(database: Database, settings: Settings) -> NewPassword | None:
    """Apply THEODOLITE_INIT_ADMIN_* (idempotent), or when no user exists create `admin` with a
    generated password that must be changed at the first sign-in.

    Returns the generated password (shown once by the caller), else None. Raises
    ConfigurationError for a half-given or invalid initial admin. Blocks.
    """
    init = (settings.init_admin_email, settings.init_admin_password)
    if any(init) and not all(init):
        raise ConfigurationError("set both THEODOLITE_INIT_ADMIN_EMAIL and THEODOLITE_INIT_ADMIN_PASSWORD, or neither")
    if settings.init_admin_email and settings.init_admin_password:
        existing = find_user(database, settings.init_admin_email)
        if existing is None:
            try:
                create_user(database, settings.init_admin_email, password=settings.init_admin_password, is_admin=True)
            except TheodoliteError as exc:
                raise ConfigurationError(f"THEODOLITE_INIT_ADMIN_*: {exc.message}") from exc
            log.info("created admin %r from THEODOLITE_INIT_ADMIN_EMAIL", settings.init_admin_email)
        elif not existing.is_admin:
            make_admin(database, existing.email)
        # An existing admin's password is left alone: change it with `theodolite users reset-password`.
        return None
    if count_users(database) == 0:
        return create_user(database, FIRST_ADMIN_EMAIL, name=FIRST_ADMIN_NAME, is_admin=True)
    return None


def describe_new_admin(new: NewPassword, base_url: str) -> str:
    return (
        "\n"
        f"  Theodolite created the admin user {new.user.name!r} ({new.user.email}) for the web UI.\n"
        "  Its one-time password is shown this once; you choose your own at the first sign-in.\n\n"
        f"    user:     {new.user.name}\n"
        f"    password: {new.password}\n\n"
        f"  Sign in at {base_url}/ (or POST {base_url}/api/v1/auth/login).\n"
    )


def warn_if_search_incomplete(database: Database) -> None:
    """Observations stored before the search index existed are not searchable until `theodolite
    search reindex` ran: say so at every start until then."""
    from theodolite.storage.search import backfill_remaining

    remaining = backfill_remaining(database)
    if remaining:
        log.warning(
            "search: up to %d observations stored before the search index are not searchable yet; "
            "run `theodolite search reindex` (safe while the server runs)",
            remaining,
        )
