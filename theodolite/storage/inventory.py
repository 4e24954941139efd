"""What `theodolite doctor` reports of a database: row counts, the newest trace, the schema revision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from theodolite.storage import tables
from theodolite.storage.engine import Database
from theodolite.storage.migrations.runner import current_revision, head_revision

COUNTED = ("projects", "traces", "observations", "scores")


def take_inventory(url: str) -> tuple[dict[str, int], datetime | None, str | None, str | None]:
    """(rows per table of COUNTED, the newest trace's time, the schema's revision, the code's). Raises
    what opening or reading raised: the caller reports it. Not open_existing_database: an old schema
    is a finding, not a failure here."""
    database = Database(url, create=False)
    try:
        with database.connect() as conn:
            counts = {name: conn.execute(select(func.count()).select_from(getattr(tables, name))).scalar_one()
                      for name in COUNTED}  # fmt: skip
            latest = conn.execute(select(func.max(tables.traces.c.timestamp))).scalar()
        return counts, latest, current_revision(database.engine), head_revision()
    finally:
        database.dispose()
