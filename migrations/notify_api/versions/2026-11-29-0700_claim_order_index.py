"""the due index ends with id, the claim's tie-break

Revision ID: 5c1a7d2e9b40
Revises: 12289aeb3486
Create Date: 2026-11-29 07:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5c1a7d2e9b40"
down_revision: str | None = "12289aeb3486"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_due")
        batch_op.create_index("ix_notifications_due", ["status", "next_attempt_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_due")
        batch_op.create_index("ix_notifications_due", ["status", "next_attempt_at"], unique=False)
