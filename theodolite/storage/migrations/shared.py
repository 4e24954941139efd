"""What several migrations spell the same way (a migration imports these, not the tables' types: a
migration is frozen at what it created)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


def json_column() -> sa.types.TypeEngine:
    """JSON on SQLite, JSONB on PostgreSQL (as `storage.types.JsonDocument` stores it)."""
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
