"""index the accepted reports per item, for the derived progress status (close-out, 办结销号)

Revision ID: closeout_r0001
Revises: assessment_0001
Create Date: 2026-12-03 09:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "closeout_r0001"
down_revision: str | None = "assessment_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reports_progress", ["plan_id", "status", "item_id", "role", "self_status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_progress")
