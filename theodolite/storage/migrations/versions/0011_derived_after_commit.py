"""SQLite derives search documents and trace totals after the commit: search_progress and two columns

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 18:00:00

Until now the writer indexed each observation and summed each trace's totals in its ingest
transaction. On SQLite it now derives both after the commit, in larger steps, when it has time
(`storage/writer.py`), and records how far it got in `search_progress`, in the same transaction:
after a crash it carries on from there. Everything stored so far was derived at ingest (or lies in
search_backfill's range), so the mark starts above the newest observation.

- `traces.changed_seq`: the mark of the last commit that wrote the trace; a writer restarted after
  a crash re-derives the traces above its mark (a scan: no index).
- `trace_totals.user_id`: the user the totals were derived with, so that a later step knows what
  the user's rollup holds of the trace.
- `trace_totals.models`: the trace's models, so that a sort on a total with a model filter tests a
  string per row on SQLite (no longer a cost on the ingest path) instead of probing trace_facets.

PostgreSQL keeps deriving in the ingest transaction and does not read the mark.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    progress = op.create_table(
        "search_progress",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("indexed_below", sa.BigInteger(), nullable=False),
        sa.Column("repricings", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    bind = op.get_bind()
    last = bind.execute(sa.text("SELECT max(seq) FROM observations")).scalar()
    op.bulk_insert(progress, [{"id": 1, "indexed_below": (last or 0) + 1}])
    op.add_column("traces", sa.Column("changed_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False))
    op.add_column("trace_totals", sa.Column("user_id", sa.Text(), nullable=True))
    op.execute("UPDATE trace_totals SET user_id = (SELECT t.user_id FROM traces t WHERE t.id = trace_totals.trace_id)")
    op.add_column("trace_totals", sa.Column("models", sa.Text(), nullable=True))
    _backfill_models(bind)


def _backfill_models(bind: sa.engine.Connection) -> None:
    """`trace_totals.models` from the observations' models, in Python (one pass over the
    observations that name a model; the same sorted "|a|b|" as the writer's `models_key`)."""
    found: dict[str, set[str]] = {}
    query = sa.text(
        "SELECT trace_id, model, request_model FROM observations WHERE model IS NOT NULL OR request_model IS NOT NULL"
    )
    for trace_id, model, requested in bind.execute(query):
        found.setdefault(trace_id, set()).update(value for value in (model, requested) if value is not None)
    keys = bind.execute(sa.text("SELECT project_id, timestamp, trace_id FROM trace_totals")).all()
    updates = [
        {"p": project_id, "w": when, "k": key, "m": "|" + "|".join(sorted(found[key])) + "|"}
        for project_id, when, key in keys
        if key in found
    ]
    statement = sa.text(
        "UPDATE trace_totals SET models = :m WHERE project_id = :p AND timestamp = :w AND trace_id = :k"
    )
    for start in range(0, len(updates), 5_000):
        bind.execute(statement, updates[start : start + 5_000])


def downgrade() -> None:
    # The earlier writer derives only at ingest: what is still underived is derived here first.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        from theodolite.storage.writer import derive_to_end

        derive_to_end(bind)
    with op.batch_alter_table("trace_totals") as batch:
        batch.drop_column("models")
        batch.drop_column("user_id")
    with op.batch_alter_table("traces") as batch:
        batch.drop_column("changed_seq")
    op.drop_table("search_progress")
