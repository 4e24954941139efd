"""traces and scores identified within their project

- scores: primary key (project_id, id) instead of id: one project's score id must not replace
  another project's score.
- scores of a project that name a trace id another project owns, or an id containing `@`, move
  to their project's qualified storage key (`theodolite/storage/trace_keys.py`), as the writer
  now stores them.
- traces.timestamp_seq: the commit that last placed a trace in the newest-first list; 0 for the
  traces stored before (they are older than any cursor's snapshot).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 10:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The wire ids of the traces stored before are all 32 hex digits (OTLP); the bound keeps the
# qualified key inside the 64 characters of the column whatever an older score named.
QUALIFY_SCORES_OF_OTHER_PROJECTS = """
UPDATE scores SET trace_id = trace_id || '@' || CAST(project_id AS VARCHAR(16))
WHERE length(trace_id) <= 48 AND (
  trace_id LIKE '%@%'
  OR EXISTS (SELECT 1 FROM traces t WHERE t.id = scores.trace_id AND t.project_id <> scores.project_id)
)
"""


def upgrade() -> None:
    op.execute(QUALIFY_SCORES_OF_OTHER_PROJECTS)
    _set_scores_primary_key("project_id", "id")
    with op.batch_alter_table("traces") as batch_op:
        batch_op.add_column(sa.Column("timestamp_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False))


def downgrade() -> None:
    """Fails if two projects hold a score of the same id (the old key cannot tell them apart)."""
    with op.batch_alter_table("traces") as batch_op:
        batch_op.drop_column("timestamp_seq")
    _set_scores_primary_key("id")


def _set_scores_primary_key(*columns: str) -> None:
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint("scores_pkey", "scores", type_="primary")
        op.create_primary_key("scores_pkey", "scores", list(columns))
        return
    # SQLite cannot change a primary key in place: batch mode rebuilds the table, from its
    # reflected definition with the new key (so that the columns' old key flag does not linger).
    table = sa.Table("scores", sa.MetaData(), autoload_with=op.get_bind())
    for column in table.columns:
        column.primary_key = False
    table.append_constraint(sa.PrimaryKeyConstraint(*columns))
    with op.batch_alter_table("scores", copy_from=table, recreate="always"):
        pass
