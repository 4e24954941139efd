"""Run Alembic programmatically against an Engine (no alembic.ini needed by users)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from theodolite.storage.process_locks import STARTUP, held

SCRIPT_LOCATION = str(Path(__file__).resolve().parent)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def base_revision() -> str | None:
    """The first revision: the one a new, empty database starts from."""
    return ScriptDirectory.from_config(alembic_config()).get_base()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade_to_head(engine: Engine) -> list[str]:
    """Apply pending migrations; returns their revision ids, oldest first. Blocks. On PostgreSQL
    several servers may start at once: one migrates, the others wait and find the schema current."""
    with held(engine, STARTUP):
        return _upgrade(engine)


def _upgrade(engine: Engine) -> list[str]:
    before = current_revision(engine)
    head = head_revision()
    if before == head:
        return []
    script = ScriptDirectory.from_config(alembic_config())
    pending = [rev.revision for rev in script.iterate_revisions(head, before)]
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return list(reversed(pending))
