"""idempotency keys remember when their request first committed a write

Revision ID: 00899e3fe8df
Revises: 5c1a7d2e9b40
Create Date: 2026-11-29 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "00899e3fe8df"
down_revision: str | None = "5c1a7d2e9b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wrote_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("wrote_at")
