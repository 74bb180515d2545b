"""search (检索): the words of each item and indicator, in item_search and indicator_search

Revision ID: tasks_search
Revises: tasks_evidence
Create Date: 2026-12-07 11:00:00.000000

The items and indicators already there are indexed here (services/common/search_index.py).
"""

from collections.abc import Sequence

from alembic import op

from services.common.search_index import add_search_table, drop_search_table

revision: str = "tasks_search"
down_revision: str | None = "tasks_evidence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_search_table(op, "item_search", "items", ("title", "text", "number"))
    add_search_table(op, "indicator_search", "indicators", ("name", "measure"))


def downgrade() -> None:
    drop_search_table(op, "indicator_search")
    drop_search_table(op, "item_search")
