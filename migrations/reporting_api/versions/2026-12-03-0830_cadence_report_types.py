"""cadence: the plan's and each item's reporting cadence; reports know their type and their achievements

Revision ID: cadence_0830_report_types
Revises: closeout_r0001
Create Date: 2026-12-03 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cadence_0830_report_types"
down_revision: str | None = "closeout_r0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A report's type follows from its period: 2024 → annual, 2024-H1 → half_year, 2024-Q1 → quarterly.
REPORT_TYPE_OF_PERIOD = sa.text(
    "CASE WHEN length(period) = 4 THEN 'annual' WHEN period LIKE '%-H%' THEN 'half_year' "
    "WHEN period LIKE '%-M%' THEN 'monthly' ELSE 'quarterly' END"
)


def upgrade() -> None:
    with op.batch_alter_table("plan_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cadence", sa.String(length=20), nullable=False, server_default="quarterly"))
        batch_op.add_column(sa.Column("cadence_by_kind", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "item_cadences",
        sa.Column("item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("cadence", sa.String(length=20), nullable=True),
        sa.Column("set_by", sa.String(length=255), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_id"),
    )
    op.create_index("ix_item_cadences_plan", "item_cadences", ["plan_id"], unique=False)
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("achievements", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("report_type", sa.String(length=20), nullable=True))
    op.execute(sa.text(f"UPDATE reports SET report_type = {REPORT_TYPE_OF_PERIOD}"))
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.alter_column("report_type", existing_type=sa.String(length=20), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("report_type")
        batch_op.drop_column("achievements")
    op.drop_index("ix_item_cadences_plan", table_name="item_cadences")
    op.drop_table("item_cadences")
    with op.batch_alter_table("plan_rules", schema=None) as batch_op:
        batch_op.drop_column("cadence_by_kind")
        batch_op.drop_column("cadence")
