"""costs of calls that are not provider calls (cache, fallbacks)

A generation answered by a response cache or a fallback made no provider call: it costs a known $0
(status `not_billed`) and what the provider would have charged is kept in `saved_cost`. Rows
stored before this revision were priced like provider calls; they are converted here, so an
upgraded database's totals are right without `theodolite costs recompute`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:15:00
"""

import sqlalchemy as sa
from alembic import op

import theodolite.storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The same predicate as theodolite.model.is_provider_call and GENERATION_LIKE, frozen here as SQL:
# a migration must keep meaning what it meant when it was written.
_NOT_PROVIDER_CALL = "(source = 'cache' OR source LIKE 'fallback%') AND type IN ('generation', 'embedding')"


def upgrade() -> None:
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("saved_cost", theodolite.storage.types.Money(), nullable=True))
    op.execute(
        "UPDATE observations SET saved_cost = calculated_total_cost, calculated_input_cost = 0, "
        f"calculated_output_cost = 0, calculated_total_cost = 0, cost_status = 'not_billed' WHERE {_NOT_PROVIDER_CALL}"
    )


def downgrade() -> None:
    # The converted rows keep their $0 and status; `theodolite costs recompute` with the older
    # version re-prices them by its own rule.
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_column("saved_cost")
