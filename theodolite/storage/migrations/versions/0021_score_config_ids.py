"""scores: the score config each was checked against

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-01 21:00:00

`scores.config_id`: the id (as text, since Langfuse's SDKs send their config ids as strings) of the
score config that checked the score, the one its sender named (`configId`, `config_id`) or the
active config of its name; NULL for a score no config checked, and for every score stored before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("scores", sa.Column("config_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scores") as batch_op:
        batch_op.drop_column("config_id")
