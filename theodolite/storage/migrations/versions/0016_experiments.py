"""experiments: an application run over one dataset version, one run per item

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 17:45:00

Two tables in the metadata store (`storage/tables.py` describes them): `experiments` and
`experiment_runs`.
"""

import sqlalchemy as sa
from alembic import op

import theodolite.storage.types
from theodolite.storage.migrations.shared import json_column

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = theodolite.storage.types.UtcDateTime(timezone=True)
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("dataset_version", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("metadata", json_column(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("finished_at", when, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name", name="uq_experiments_project_name"),
    )
    op.create_index("ix_experiments_dataset", "experiments", ["dataset_id", "created_at"])
    op.create_table(
        "experiment_runs",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Text(), nullable=False),
        sa.Column("trace_id", sa.String(length=64), nullable=True),
        sa.Column("output", json_column(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.PrimaryKeyConstraint("experiment_id", "item_id", name="pk_experiment_runs"),
    )


def downgrade() -> None:
    op.drop_table("experiment_runs")
    op.drop_index("ix_experiments_dataset", table_name="experiments")
    op.drop_table("experiments")
