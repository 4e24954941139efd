"""online evaluators: a cost limit per rule and UTC day

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 21:15:00

`evaluator_rules.daily_cost_limit` (USD, null: none) and, in `evaluator_progress`, what the rule's
judge calls cost on `spent_day` (an ISO date, UTC): `spent_cost`.
"""

import sqlalchemy as sa
from alembic import op

import theodolite.storage.types

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluator_rules") as batch_op:
        batch_op.add_column(sa.Column("daily_cost_limit", theodolite.storage.types.Money(), nullable=True))
    with op.batch_alter_table("evaluator_progress") as batch_op:
        batch_op.add_column(sa.Column("spent_day", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("spent_cost", theodolite.storage.types.Money(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluator_progress") as batch_op:
        batch_op.drop_column("spent_cost")
        batch_op.drop_column("spent_day")
    with op.batch_alter_table("evaluator_rules") as batch_op:
        batch_op.drop_column("daily_cost_limit")
