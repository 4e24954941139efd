"""datasets for evaluation, in immutable versions

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 15:20:00

Three tables in the metadata store (`storage/tables.py` says how versions work): `datasets`,
`dataset_versions` and `dataset_items`.
"""

import sqlalchemy as sa
from alembic import op

import theodolite.storage.types
from theodolite.storage.migrations.shared import json_column

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = theodolite.storage.types.UtcDateTime(timezone=True)
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("metadata", json_column(), nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.Column("current_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name", name="uq_datasets_project_name"),
    )
    op.create_table(
        "dataset_versions",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("dataset_id", "version", name="pk_dataset_versions"),
    )
    op.create_table(
        "dataset_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Text(), nullable=False),
        sa.Column("input", json_column(), nullable=True),
        sa.Column("expected_output", json_column(), nullable=True),
        sa.Column("metadata", json_column(), nullable=True),
        sa.Column("source_trace_id", sa.Text(), nullable=True),
        sa.Column("source_observation_id", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Integer(), nullable=False),
        sa.Column("valid_to", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "item_id", "valid_from", name="uq_dataset_items_version"),
    )


def downgrade() -> None:
    op.drop_table("dataset_items")
    op.drop_table("dataset_versions")
    op.drop_table("datasets")
