"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 04:24:18.552883
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import theodolite.storage.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.CreateSequence(sa.Sequence("observation_seq")))

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=128), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("display_secret", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", theodolite.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", theodolite.storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_key"),
        sa.UniqueConstraint("secret_hash"),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_project_id"), ["project_id"], unique=False)

    op.create_table(
        "observation_payloads",
        sa.Column(
            "observation_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("payload", theodolite.storage.types.Payload(), nullable=False),
        sa.PrimaryKeyConstraint("observation_seq"),
    )
    op.create_table(
        "observations",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("trace_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("parent_observation_id", sa.String(length=64), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("start_time", theodolite.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("end_time", theodolite.storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("completion_start_time", theodolite.storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("request_model", sa.Text(), nullable=True),
        sa.Column("provider", sa.Text(), nullable=True),
        sa.Column(
            "model_parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("total_tokens", sa.Integer(), nullable=True),
        sa.Column("cache_read_tokens", sa.Integer(), nullable=True),
        sa.Column("cache_write_tokens", sa.Integer(), nullable=True),
        sa.Column("reasoning_tokens", sa.Integer(), nullable=True),
        sa.Column("input_cost", theodolite.storage.types.Money(precision=24, scale=12), nullable=True),
        sa.Column("output_cost", theodolite.storage.types.Money(precision=24, scale=12), nullable=True),
        sa.Column("total_cost", theodolite.storage.types.Money(precision=24, scale=12), nullable=True),
        sa.Column("calculated_input_cost", theodolite.storage.types.Money(precision=24, scale=12), nullable=True),
        sa.Column("calculated_output_cost", theodolite.storage.types.Money(precision=24, scale=12), nullable=True),
        sa.Column("calculated_total_cost", theodolite.storage.types.Money(precision=24, scale=12), nullable=True),
        sa.Column("cost_status", sa.String(length=12), nullable=False),
        sa.Column(
            "metadata", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("version", sa.Text(), nullable=True),
        sa.Column("environment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("trace_id", "id", name="uq_observations_trace_span"),
    )
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.create_index("ix_observations_project_start", ["project_id", "start_time"], unique=False)

    op.create_table(
        "payload_dictionaries",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.Column("created_at", theodolite.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", theodolite.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "scores",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("trace_id", sa.String(length=64), nullable=True),
        sa.Column("observation_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("string_value", sa.Text(), nullable=True),
        sa.Column("data_type", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column(
            "metadata", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("timestamp", theodolite.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", theodolite.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("scores", schema=None) as batch_op:
        batch_op.create_index("ix_scores_project_timestamp", ["project_id", "timestamp"], unique=False)
        batch_op.create_index("ix_scores_trace", ["trace_id"], unique=False)

    op.create_table(
        "traces",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", theodolite.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("root_observation_id", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("session_id", sa.Text(), nullable=True),
        sa.Column("release", sa.Text(), nullable=True),
        sa.Column("version", sa.Text(), nullable=True),
        sa.Column("environment", sa.Text(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column(
            "metadata", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("created_at", theodolite.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", theodolite.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("traces", schema=None) as batch_op:
        batch_op.create_index(
            "ix_traces_project_session",
            ["project_id", "session_id", "timestamp"],
            unique=False,
            sqlite_where=sa.text("session_id IS NOT NULL"),
            postgresql_where=sa.text("session_id IS NOT NULL"),
        )
        batch_op.create_index("ix_traces_project_timestamp", ["project_id", "timestamp"], unique=False)
        batch_op.create_index(
            "ix_traces_project_user",
            ["project_id", "user_id", "timestamp"],
            unique=False,
            sqlite_where=sa.text("user_id IS NOT NULL"),
            postgresql_where=sa.text("user_id IS NOT NULL"),
        )


def downgrade() -> None:

    with op.batch_alter_table("traces", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_traces_project_user",
            sqlite_where=sa.text("user_id IS NOT NULL"),
            postgresql_where=sa.text("user_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_traces_project_timestamp")
        batch_op.drop_index(
            "ix_traces_project_session",
            sqlite_where=sa.text("session_id IS NOT NULL"),
            postgresql_where=sa.text("session_id IS NOT NULL"),
        )

    op.drop_table("traces")
    with op.batch_alter_table("scores", schema=None) as batch_op:
        batch_op.drop_index("ix_scores_trace")
        batch_op.drop_index("ix_scores_project_timestamp")

    op.drop_table("scores")
    op.drop_table("projects")
    op.drop_table("payload_dictionaries")
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index("ix_observations_project_start")

    op.drop_table("observations")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence("observation_seq")))
    op.drop_table("observation_payloads")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_project_id"))

    op.drop_table("api_keys")
