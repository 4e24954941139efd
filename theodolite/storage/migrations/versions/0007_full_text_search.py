"""full-text search of inputs and outputs: search_fts (SQLite FTS5) or search_documents (PostgreSQL), search_backfill

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 13:00:00

The index is empty after this migration: documents are made from the payloads, which only Python
can decompress (zstd dictionaries on SQLite), so the observations already stored are indexed by
`theodolite search reindex`, which reads the range recorded in `search_backfill` here. The writer
indexes every observation stored after it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CREATE = {
    # rowid = observations.seq; no content (the text is not stored twice); letters, digits and
    # combining marks are word characters (storage/search_text.py makes the same tokens).
    "sqlite": [
        "CREATE VIRTUAL TABLE search_fts USING fts5(text, content='', "
        "tokenize='unicode61 remove_diacritics 0 categories ''L* N* Co M*''')"
    ],
    "postgresql": [
        "CREATE TABLE search_documents (observation_seq BIGINT PRIMARY KEY, document TSVECTOR NOT NULL)",
        "CREATE INDEX ix_search_documents ON search_documents USING gin (document)",
    ],
}


def upgrade() -> None:
    bind = op.get_bind()
    for statement in CREATE[bind.dialect.name]:
        op.execute(statement)
    backfill = op.create_table(
        "search_backfill",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        sa.Column("end_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    bounds = "SELECT min(observation_seq), max(observation_seq) FROM observation_payloads"
    first, last = bind.execute(sa.text(bounds)).one()
    op.bulk_insert(backfill, [{"id": 1, "next_seq": first or 0, "end_seq": (last + 1) if last is not None else 0}])


def downgrade() -> None:
    op.drop_table("search_backfill")
    op.execute("DROP TABLE search_fts" if op.get_bind().dialect.name == "sqlite" else "DROP TABLE search_documents")
