"""annotation queues: the kind of item a queue holds

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 21:00:00

`annotation_queues.kind`: trace, observation or session when the queue holds only that kind (the
web UI's "New queue" form sets it, and filling by the trace list's filters adds that kind); NULL for
a queue of any kind, as every queue made before this revision is.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("annotation_queues", sa.Column("kind", sa.String(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("annotation_queues") as batch:
        batch.drop_column("kind")
