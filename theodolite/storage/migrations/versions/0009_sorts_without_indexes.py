"""drop the six sort indexes of trace_totals: the sorted trace list reads chunks of the table instead

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 16:20:00

Each index took a random-order insert per trace on the ingest path (most of what the totals cost
it, docs/ingestion.md); a time range of `trace_totals` sorted with a LIMIT serves the orders
(`storage/sql/queries/sorted_chunks.py`).
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SORTS = {
    "name": "name_key",
    "tags": "tags_key",
    "latency": "latency_s",
    "tokens": "total_tokens",
    "cost": "total_cost",
    "level": "level_rank",
}


def upgrade() -> None:
    for name in SORTS:
        op.drop_index(f"ix_trace_totals_{name}", table_name="trace_totals")


def downgrade() -> None:
    for name, column in SORTS.items():
        op.create_index(f"ix_trace_totals_{name}", "trace_totals", ["project_id", column, "timestamp", "trace_id"])
