"""per-trace totals (trace_totals), per-trace score values (trace_scores), session and user rollups (group_rollups)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 12:45:00
"""

import sqlalchemy as sa
from alembic import op

import theodolite.storage.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COUNTS = (
    "observation_count", "input_tokens", "output_tokens", "total_tokens", "priced_count", "saved_count",
    "unpriced_count", "not_billed_count", "error_count",
)  # fmt: skip
SUM_COLUMNS = ", ".join(COUNTS)

# What the writer computes per trace (`storage/trace_totals.py`), for every stored trace.
TAGS_KEY = {
    "sqlite": "(SELECT group_concat(tag.value, ', ') FROM json_each(t.tags) AS tag)",
    "postgresql": "(SELECT string_agg(tag.value, ', ' ORDER BY tag.ord) FROM jsonb_array_elements_text("
    "CASE jsonb_typeof(t.tags) WHEN 'array' THEN t.tags END) WITH ORDINALITY AS tag(value, ord))",
}
LATENCY = {
    "sqlite": "(julianday(a.last_end) - julianday(a.first_start)) * 86400.0",
    "postgresql": "CAST(EXTRACT(EPOCH FROM (a.last_end - a.first_start)) AS double precision)",
}
BACKFILL_TOTALS = """
INSERT INTO trace_totals (project_id, timestamp, trace_id, changed_seq, name_key, tags_key, first_start, last_end,
    latency_s, {sums}, total_cost, saved_cost, level_rank)
SELECT t.project_id, t.timestamp, t.id, 0, NULLIF(substr(t.name, 1, 200), ''), NULLIF(substr({tags_key}, 1, 200), ''),
    a.first_start, a.last_end, {latency}, {coalesced}, a.total_cost, a.saved_cost, COALESCE(a.level_rank, 0)
FROM traces AS t LEFT JOIN (
    SELECT trace_id, project_id, min(start_time) AS first_start, max(end_time) AS last_end,
        count(*) AS observation_count,
        sum(COALESCE(prompt_tokens, 0)) AS input_tokens,
        sum(COALESCE(completion_tokens, 0)) AS output_tokens,
        sum(COALESCE(total_tokens, 0)) AS total_tokens,
        sum(CASE WHEN cost_status <> 'not_billed' THEN COALESCE(calculated_total_cost, total_cost) END) AS total_cost,
        count(CASE WHEN cost_status <> 'not_billed' THEN COALESCE(calculated_total_cost, total_cost) END)
            AS priced_count,
        sum(saved_cost) AS saved_cost,
        count(saved_cost) AS saved_count,
        sum(CASE WHEN cost_status = 'unpriced' THEN 1 ELSE 0 END) AS unpriced_count,
        sum(CASE WHEN cost_status = 'not_billed' THEN 1 ELSE 0 END) AS not_billed_count,
        sum(CASE WHEN level = 'ERROR' THEN 1 ELSE 0 END) AS error_count,
        max(CASE level WHEN 'ERROR' THEN 3 WHEN 'WARNING' THEN 2 WHEN 'DEBUG' THEN 0 ELSE 1 END) AS level_rank
    FROM observations GROUP BY trace_id, project_id
) AS a ON a.trace_id = t.id AND a.project_id = t.project_id
"""
BACKFILL_SCORES = """
INSERT INTO trace_scores (project_id, trace_id, name, value, score_count, changed_seq)
SELECT project_id, trace_id, name, avg(value), count(value), 0
FROM scores WHERE trace_id IS NOT NULL AND value IS NOT NULL
GROUP BY project_id, trace_id, name
"""
BACKFILL_GROUPS = """
INSERT INTO group_rollups (project_id, kind, key, first_seen, last_seen, changed_seq, trace_count, {sums}, cost_sum,
    saved_sum)
SELECT t.project_id, '{kind}', t.{column}, min(t.timestamp), max(t.timestamp), 0, count(*), {summed},
    COALESCE(sum(tt.total_cost), 0), COALESCE(sum(tt.saved_cost), 0)
FROM traces AS t
JOIN trace_totals AS tt ON tt.project_id = t.project_id AND tt.timestamp = t.timestamp AND tt.trace_id = t.id
WHERE t.{column} IS NOT NULL
GROUP BY t.project_id, t.{column}
"""


def upgrade() -> None:
    when = theodolite.storage.types.UtcDateTime(timezone=True)
    money = theodolite.storage.types.Money()
    dialect = op.get_bind().dialect.name
    op.create_table(
        "trace_totals",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", when, nullable=False),
        sa.Column("trace_id", sa.String(length=64), nullable=False),
        sa.Column("changed_seq", sa.BigInteger(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=True),
        sa.Column("tags_key", sa.Text(), nullable=True),
        sa.Column("first_start", when, nullable=True),
        sa.Column("last_end", when, nullable=True),
        sa.Column("latency_s", sa.Float(), nullable=True),
        sa.Column("observation_count", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("total_tokens", sa.BigInteger(), nullable=False),
        sa.Column("total_cost", money, nullable=True),
        sa.Column("priced_count", sa.Integer(), nullable=False),
        sa.Column("saved_cost", money, nullable=True),
        sa.Column("saved_count", sa.Integer(), nullable=False),
        sa.Column("unpriced_count", sa.Integer(), nullable=False),
        sa.Column("not_billed_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("level_rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "timestamp", "trace_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "trace_scores",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("trace_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("score_count", sa.Integer(), nullable=False),
        sa.Column("changed_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "trace_id", "name"),
    )
    op.create_table(
        "group_rollups",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("first_seen", when, nullable=False),
        sa.Column("last_seen", when, nullable=False),
        sa.Column("changed_seq", sa.BigInteger(), nullable=False),
        sa.Column("trace_count", sa.Integer(), nullable=False),
        sa.Column("observation_count", sa.BigInteger(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("total_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_sum", money, nullable=False),
        sa.Column("priced_count", sa.BigInteger(), nullable=False),
        sa.Column("saved_sum", money, nullable=False),
        sa.Column("saved_count", sa.BigInteger(), nullable=False),
        sa.Column("unpriced_count", sa.BigInteger(), nullable=False),
        sa.Column("not_billed_count", sa.BigInteger(), nullable=False),
        sa.Column("error_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "kind", "key"),
    )
    op.execute(
        BACKFILL_TOTALS.format(
            sums=SUM_COLUMNS,
            coalesced=", ".join(f"COALESCE(a.{name}, 0)" for name in COUNTS),
            tags_key=TAGS_KEY[dialect],
            latency=LATENCY[dialect],
        )
    )
    op.execute(BACKFILL_SCORES)
    for kind, column in (("session", "session_id"), ("user", "user_id")):
        summed = ", ".join(f"sum(tt.{name})" for name in COUNTS)
        op.execute(BACKFILL_GROUPS.format(sums=SUM_COLUMNS, summed=summed, kind=kind, column=column))
    for name, column in (
        ("name", "name_key"),
        ("tags", "tags_key"),
        ("latency", "latency_s"),
        ("tokens", "total_tokens"),
        ("cost", "total_cost"),
        ("level", "level_rank"),
    ):
        op.create_index(f"ix_trace_totals_{name}", "trace_totals", ["project_id", column, "timestamp", "trace_id"])
    op.create_index("ix_trace_scores_value", "trace_scores", ["project_id", "name", "value", "trace_id"])
    op.create_index("ix_trace_scores_changed", "trace_scores", ["changed_seq"])
    op.create_index(
        "ix_group_rollups_recent", "group_rollups", ["project_id", "kind", "last_seen", "key", "first_seen"]
    )


def downgrade() -> None:
    op.drop_table("group_rollups")
    op.drop_table("trace_scores")
    op.drop_table("trace_totals")
