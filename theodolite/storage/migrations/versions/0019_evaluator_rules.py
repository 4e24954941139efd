"""online evaluators: rules and their progress

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 18:00:00

Two tables in the metadata store (`storage/tables.py` describes them): `evaluator_rules` and
`evaluator_progress`.
"""

import sqlalchemy as sa
from alembic import op

import theodolite.storage.types
from theodolite.storage.migrations.shared import json_column

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = theodolite.storage.types.UtcDateTime(timezone=True)
    op.create_table(
        "evaluator_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("sampling_rate", sa.Float(), nullable=False),
        sa.Column("filter", json_column(), nullable=False),
        sa.Column("evaluator", json_column(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name", name="uq_evaluator_rules_project_name"),
    )
    op.create_table(
        "evaluator_progress",
        sa.Column("rule_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("watermark", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("processed", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("scored", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("failed", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("skipped", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", when, nullable=True),
        sa.Column("last_run_at", when, nullable=True),
        sa.Column("head", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("rule_id"),
    )


def downgrade() -> None:
    op.drop_table("evaluator_progress")
    op.drop_table("evaluator_rules")
