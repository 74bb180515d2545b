"""item link ends (上级任务): the version of an item's removed link, from which its next link continues

Revision ID: tasks_item_link_ends
Revises: tasks_search_pending
Create Date: 2026-12-08 09:00:00.000000

A link's ETag is its version, and a link made after an unlink started at 1 again: a clerk holding the removed link's
"1" overwrote the new one. Nothing is filled in: the versions of links removed before this revision are not stored
anywhere (the history leaves versions out), so their next link still starts at 1.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "tasks_item_link_ends"
down_revision: str | None = "tasks_search_pending"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_link_ends",
        sa.Column("item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id"),
    )


def downgrade() -> None:
    op.drop_table("item_link_ends")
