"""the seed as printed: responsibilities keep the printed designation and group and may be a collective
placeholder without a unit; plans keep their general requirements and principles

Revision ID: seed_printed_0830
Revises: de309c85faa5
Create Date: 2026-12-03 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "seed_printed_0830"
down_revision: str | None = "de309c85faa5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("responsibilities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("printed_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("group", sa.Integer(), nullable=False, server_default="1"))
        batch_op.alter_column("unit_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("responsibilities", schema=None) as batch_op:
        batch_op.alter_column("group", existing_type=sa.Integer(), server_default=None)
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("general_requirements", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("principles", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.alter_column("general_requirements", existing_type=sa.Text(), server_default=None)
        batch_op.alter_column("principles", existing_type=sa.JSON(), server_default=None)


def downgrade() -> None:
    # Placeholders have no unit and cannot survive a NOT NULL unit_id: they go with the columns.
    op.execute(sa.text("DELETE FROM responsibilities WHERE unit_id IS NULL"))
    with op.batch_alter_table("responsibilities", schema=None) as batch_op:
        batch_op.alter_column("unit_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("group")
        batch_op.drop_column("printed_name")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("principles")
        batch_op.drop_column("general_requirements")
