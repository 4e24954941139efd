"""indexes for the list API's filters: trace_facets (models, levels, tags per trace), ix_traces_list (SQLite)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 10:15:00
"""

import sqlalchemy as sa
from alembic import op

import theodolite.storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Every stored observation's facets, keyed by its trace's timestamp (what the writer does per batch).
BACKFILL = """
INSERT INTO trace_facets (project_id, kind, value, timestamp, trace_id)
SELECT DISTINCT t.project_id, f.kind, f.value, t.timestamp, t.id
FROM (
    SELECT project_id, trace_id, 'model' AS kind, model AS value FROM observations WHERE model IS NOT NULL
    UNION SELECT project_id, trace_id, 'model', request_model FROM observations WHERE request_model IS NOT NULL
    UNION SELECT project_id, trace_id, 'level', level FROM observations WHERE level <> 'DEFAULT'
) AS f
JOIN traces AS t ON t.id = f.trace_id AND t.project_id = f.project_id
WHERE f.value <> '' AND length(f.value) <= 200
"""
# Every stored trace's tags (the JSON array's strings).
BACKFILL_TAGS = {
    "sqlite": """
INSERT OR IGNORE INTO trace_facets (project_id, kind, value, timestamp, trace_id)
SELECT t.project_id, 'tag', tag.value, t.timestamp, t.id
FROM traces AS t, json_each(t.tags) AS tag
WHERE tag.type = 'text' AND tag.value <> '' AND length(tag.value) <= 200
""",
    "postgresql": """
INSERT INTO trace_facets (project_id, kind, value, timestamp, trace_id)
SELECT DISTINCT t.project_id, 'tag', tag.value, t.timestamp, t.id
FROM traces AS t, jsonb_array_elements_text(CASE jsonb_typeof(t.tags) WHEN 'array' THEN t.tags END) AS tag(value)
WHERE tag.value <> '' AND length(tag.value) <= 200
ON CONFLICT DO NOTHING
""",
}


def upgrade() -> None:
    op.create_table(
        "trace_facets",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("timestamp", theodolite.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("trace_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "kind", "value", "timestamp", "trace_id"),
        sqlite_with_rowid=False,
    )
    op.execute(BACKFILL)
    op.execute(BACKFILL_TAGS[op.get_bind().dialect.name])
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_traces_list", "traces", ["project_id", "timestamp", "name", "release", "environment"])
        op.drop_index("ix_traces_project_timestamp", table_name="traces")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_traces_project_timestamp", "traces", ["project_id", "timestamp"])
        op.drop_index("ix_traces_list", table_name="traces")
    op.drop_table("trace_facets")
