"""per-project model prices

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 08:10:00
"""

import sqlalchemy as sa
from alembic import op

import theodolite.storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    money = theodolite.storage.types.Money()
    when = theodolite.storage.types.UtcDateTime(timezone=True)
    op.create_table(
        "model_prices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), server_default="", nullable=False),
        sa.Column("effective_from", when, nullable=False),
        sa.Column("input_mtok", money, nullable=True),
        sa.Column("output_mtok", money, nullable=True),
        sa.Column("cache_read_mtok", money, nullable=True),
        sa.Column("cache_write_mtok", money, nullable=True),
        sa.Column("output_reasoning_mtok", money, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "model", "provider", "effective_from", name="uq_model_prices_key"),
    )


def downgrade() -> None:
    op.drop_table("model_prices")
