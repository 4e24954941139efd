"""sessions keep no group_rollups row: their list sums their traces when shown

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 16:30:00

A row per session cost the ingest writer two random-order inserts per new session (the row's key
and the recency index); a session has a few traces, which `storage/sql/queries/groups.py` sums for the page
shown. Users keep their rows (a user has thousands of traces).
"""

import importlib

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM group_rollups WHERE kind = 'session'")


def downgrade() -> None:
    totals = importlib.import_module("theodolite.storage.migrations.versions.0008_trace_totals")
    summed = ", ".join(f"sum(tt.{name})" for name in totals.COUNTS)
    op.execute(
        totals.BACKFILL_GROUPS.format(sums=totals.SUM_COLUMNS, summed=summed, kind="session", column="session_id")
    )
