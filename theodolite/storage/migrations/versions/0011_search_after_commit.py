"""search_progress: SQLite's full-text index is written after the ingest commit, not inside it

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 18:00:00

Until now the writer indexed each observation in its ingest transaction. It now indexes committed
observations in larger steps when it has time (`storage/search.py`), and records how far it got
here, in the same transaction as the documents: after a crash it carries on from there. Everything
stored so far was indexed at ingest (or lies in search_backfill's range), so the mark starts above
the newest observation. PostgreSQL keeps indexing in the ingest transaction and does not read the
row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    progress = op.create_table(
        "search_progress",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("indexed_below", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    last = op.get_bind().execute(sa.text("SELECT max(seq) FROM observations")).scalar()
    op.bulk_insert(progress, [{"id": 1, "indexed_below": (last or 0) + 1}])


def downgrade() -> None:
    # The earlier writer indexes only at ingest: what is still unindexed is indexed here first.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        from theodolite.storage.search import follow_to_end

        follow_to_end(bind)
    op.drop_table("search_progress")
