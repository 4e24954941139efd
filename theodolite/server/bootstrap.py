"""First start: make sure a project and a key exist, from settings or freshly generated."""

from __future__ import annotations

import logging

from theodolite.errors import ConfigurationError
from theodolite.server.settings import Settings
from theodolite.storage.engine import Database
from theodolite.storage.projects import IssuedKey, count_projects, create_key, ensure_key

log = logging.getLogger(__name__)

DEFAULT_PROJECT = "default"


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
