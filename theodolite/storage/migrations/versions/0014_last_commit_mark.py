"""the mark of the last commit that stored no observation

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 12:40:00

A commit that stores no observation (a client's retry, a trace sent before its spans) still takes a
mark for the traces it writes. No `observations.seq` holds it, so a list's snapshot (the highest
mark stored) missed it and left those traces out of later pages. `search_progress.last_mark` keeps
it (`storage/writer.py`, `storage/sql/queries/traces.current_mark`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "search_progress", sa.Column("last_mark", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
    )


def downgrade() -> None:
    op.drop_column("search_progress", "last_mark")
