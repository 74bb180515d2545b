"""delegation (转办): units get an optional parent unit, delegations of items have their own table

Revision ID: tasks_delegations
Revises: tasks_change_log_chain
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.migrations import never_reuse_ids_on_sqlite

revision: str = "tasks_delegations"
down_revision: str | None = "tasks_change_log_chain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_units_parent_id", ["parent_id"], unique=False)
        batch_op.create_foreign_key("fk_units_parent_id_units", "units", ["parent_id"], ["id"], ondelete="SET NULL")
    op.create_table(
        "delegations",
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("parent_delegation_id", sa.Integer(), nullable=True),
        sa.Column("from_unit_id", sa.Integer(), nullable=False),
        sa.Column("to_unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("delegated_by", sa.String(length=255), nullable=False),
        sa.Column("delegated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=255), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=255), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_delegation_id"], ["delegations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["from_unit_id"], ["units.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["to_unit_id"], ["units.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.create_index("ix_delegations_item", ["item_id", "id"], unique=False)
        batch_op.create_index("ix_delegations_to_unit", ["to_unit_id", "id"], unique=False)
    never_reuse_ids_on_sqlite(op)  # SQLite's batch rebuilt units: it keeps AUTOINCREMENT


def downgrade() -> None:
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.drop_index("ix_delegations_to_unit")
        batch_op.drop_index("ix_delegations_item")
    op.drop_table("delegations")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_constraint("fk_units_parent_id_units", type_="foreignkey")
        batch_op.drop_index("ix_units_parent_id")
        batch_op.drop_column("parent_id")
    never_reuse_ids_on_sqlite(op)
