"""the model and name projections of the rollups keep no minute rows

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 07:00:00

`obs_m` and `obs_n` are kept per quarter-hour and hour only (`model/rollup_cells.CUBE_GRAINS_S`);
a range's minute edges read the `obs` cube's minute rows. Their minute rows, which the writer no
longer keeps, are deleted.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM rollups WHERE cube IN ('obs_m', 'obs_n') AND grain_s = 60")


def downgrade() -> None:
    # A rollups rebuild with the earlier release's code writes them again.
    pass
