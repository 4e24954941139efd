"""score configs: what values a named score of a project may take

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 18:05:00

One table in the metadata store, `score_configs` (`storage/tables.py` says what its columns hold).
"""

import sqlalchemy as sa
from alembic import op

import theodolite.storage.types
from theodolite.storage.migrations.shared import json_column

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = theodolite.storage.types.UtcDateTime(timezone=True)
    op.create_table(
        "score_configs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("data_type", sa.Text(), nullable=False),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.Column("categories", json_column(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name", name="uq_score_configs_project_name"),
    )


def downgrade() -> None:
    op.drop_table("score_configs")
