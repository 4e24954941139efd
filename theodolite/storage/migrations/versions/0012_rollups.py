"""minute and hour rollups for the analytics API (rollups, rollup_state), built from the stored rows

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 04:20:00

- `rollups`: per cube, grain and bucket, the sums and histograms of the observations, traces and
  scores of one combination of dimensions (`storage/rollups.py`).
- `rollup_state`: one row once the rollups hold everything; the analytics API reads raw rows until
  then.
- `trace_totals.release`, `version`, `environment`, `tags`: the dimensions a trace was counted under
  in the rollups, so that a later step can take them away (filled here from `traces`).

The rollups are built here from what is stored (`rollups.rebuild`, the code of this release: a
later change to the table must bring its own migration), a few seconds per million observations.
"""

import sqlalchemy as sa
from alembic import op

from theodolite.storage.types import JsonDocument, UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

MEASURES = ("n", "errors", "input_tokens", "output_tokens", "total_tokens", "priced", "unpriced", "latency_n", "ttft_n",
            "value_n")  # fmt: skip
SUMS = ("cost", "latency_sum", "ttft_sum", "value_sum")
HISTOGRAMS = ("h_latency", "h_ttft", "h_cost", "h_tokens", "h_value")
DIMENSIONS = (
    "type",
    "name",
    "model",
    "provider",
    "level",
    "source",
    "environment",
    "version",
    "release",
    "user",
    "tag",
)
TRACE_COLUMNS = ("release", "version", "environment", "tags")


def upgrade() -> None:
    op.create_table(
        "rollups",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("cube", sa.String(8), nullable=False),
        sa.Column("grain_s", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("dims_key", sa.Text(), nullable=False),
        *(sa.Column(f"d_{name}", sa.Text()) for name in DIMENSIONS),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in MEASURES),
        *(sa.Column(name, sa.Float(), nullable=False) for name in SUMS),
        *(sa.Column(name, sa.Text()) for name in HISTOGRAMS),
        sa.PrimaryKeyConstraint("project_id", "cube", "grain_s", "bucket", "dims_key"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "rollup_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("built_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for name in TRACE_COLUMNS:
        op.add_column("trace_totals", sa.Column(name, JsonDocument if name == "tags" else sa.Text(), nullable=True))
    values = ", ".join(
        f"{name} = (SELECT t.{name} FROM traces t WHERE t.id = trace_totals.trace_id)" for name in TRACE_COLUMNS
    )
    op.execute(f"UPDATE trace_totals SET {values}")
    bind = op.get_bind()
    from theodolite.storage.rollups import rebuild

    rebuild(bind, bind.dialect.name)


def downgrade() -> None:
    with op.batch_alter_table("trace_totals") as batch:
        for name in TRACE_COLUMNS:
            batch.drop_column(name)
    op.drop_table("rollup_state")
    op.drop_table("rollups")
