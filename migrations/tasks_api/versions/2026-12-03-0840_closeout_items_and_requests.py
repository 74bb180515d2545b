"""close-out (办结销号): items carry their open/closed state, close-out requests have their own table

An item's status is no longer typed in: `not_started`, `in_progress` and `delayed` become `open`,
`completed` becomes `closed` (closed on the Beijing day of its last change); `cancelled` stays.

Revision ID: closeout_0001
Revises: seed_printed_0830
Create Date: 2026-12-03 08:40:00.000000
"""

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

from services.common.clock import business_date

revision: str = "closeout_0001"
down_revision: str | None = "seed_printed_0830"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("closeout_request_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reopen_reason", sa.String(length=2000), nullable=True))
    op.create_table(
        "closeout_requests",
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=2000), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("closeout_requests", schema=None) as batch_op:
        batch_op.create_index("ix_closeout_requests_item", ["item_id", "id"], unique=False)
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE items SET status = 'open' WHERE status IN ('not_started', 'in_progress', 'delayed')"))
    completed = bind.execute(sa.text("SELECT id, updated_at FROM items WHERE status = 'completed'")).all()
    for item_id, updated_at in completed:
        bind.execute(
            sa.text("UPDATE items SET status = 'closed', closed_on = :day WHERE id = :id"),
            {"day": _day(updated_at), "id": item_id},
        )


def _day(updated_at: datetime | str) -> date:
    """The Beijing day of a stored instant (SQLite hands it back as text)."""
    return business_date(datetime.fromisoformat(updated_at) if isinstance(updated_at, str) else updated_at)


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE items SET status = 'not_started' WHERE status = 'open'"))
    bind.execute(sa.text("UPDATE items SET status = 'completed' WHERE status = 'closed'"))
    with op.batch_alter_table("closeout_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_closeout_requests_item")
    op.drop_table("closeout_requests")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("reopen_reason")
        batch_op.drop_column("closed_on")
        batch_op.drop_column("closeout_request_id")
