"""annotation queues: humans score traces, observations or sessions one at a time

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 17:45:00

Four tables in the metadata store (`storage/tables.py` says what each holds):
`annotation_queues`, `annotation_queue_items`, `annotation_reviews` and `annotation_claims`.
"""

import sqlalchemy as sa
from alembic import op

import theodolite.storage.types
from theodolite.storage.migrations.shared import json_column

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = theodolite.storage.types.UtcDateTime(timezone=True)
    op.create_table(
        "annotation_queues",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("score_configs", json_column(), nullable=False),
        sa.Column("reviews_per_item", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "name", name="uq_annotation_queues_project_name"),
    )
    op.create_table(
        "annotation_queue_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("object_id", sa.Text(), nullable=False),
        sa.Column("trace_id", sa.Text(), nullable=True),
        sa.Column("added_at", when, nullable=False),
        sa.Column("done_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("queue_id", "kind", "object_id", name="uq_annotation_queue_items_object"),
    )
    op.create_index("ix_annotation_queue_items_queue", "annotation_queue_items", ["queue_id", "id"])
    op.create_table(
        "annotation_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("scores", json_column(), nullable=True),
        sa.Column("at", when, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "reviewer", name="uq_annotation_reviews_item_reviewer"),
    )
    op.create_index("ix_annotation_reviews_queue", "annotation_reviews", ["queue_id", "reviewer"])
    op.create_table(
        "annotation_claims",
        sa.Column("item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("expires_at", when, nullable=False),
        sa.PrimaryKeyConstraint("item_id"),
    )
    op.create_index("ix_annotation_claims_queue", "annotation_claims", ["queue_id", "reviewer"])


def downgrade() -> None:
    op.drop_table("annotation_claims")
    op.drop_table("annotation_reviews")
    op.drop_table("annotation_queue_items")
    op.drop_table("annotation_queues")
