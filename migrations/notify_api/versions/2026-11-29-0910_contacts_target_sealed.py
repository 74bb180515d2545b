"""a contact's target that carries a token is kept sealed; the target column shows it masked

Revision ID: 524bf2d060f6
Revises: 00899e3fe8df
Create Date: 2026-11-29 09:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "524bf2d060f6"
down_revision: str | None = "00899e3fe8df"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Contacts written before keep their clear target and are delivered to as before; the service seals a
    # target when it is next written (the key that seals it is the service's, not the migration's).
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_sealed", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    # A sealed target cannot be opened here (the key is the service's): robot contacts written after the upgrade
    # keep only their masked URLs and must be entered again.
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("target_sealed")
