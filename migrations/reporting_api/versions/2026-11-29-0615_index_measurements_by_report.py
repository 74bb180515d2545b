"""index measurements by report

Revision ID: 032ee6ecfa8a
Revises: 8b241e59711b
Create Date: 2026-11-29 06:15:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "032ee6ecfa8a"
down_revision: str | None = "8b241e59711b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.create_index("ix_measurements_report", ["report_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_index("ix_measurements_report")
