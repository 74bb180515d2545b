"""search pending (检索): the words indexes keep few new rows waiting to be merged, and none now

Revision ID: reporting_search_pending
Revises: reporting_search_review_comments
Create Date: 2026-12-07 15:00:00.000000

PostgreSQL only (services/common/search_sql.py, PENDING_KB): every search reads a GIN index's pending list whole.
"""

from collections.abc import Sequence

from alembic import op

from services.common.search_index import bound_search_pending, unbound_search_pending

revision: str = "reporting_search_pending"
down_revision: str | None = "reporting_search_review_comments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
TABLES = ("report_search", "instruction_search", "instruction_reply_search", "review_comment_search")


def upgrade() -> None:
    bound_search_pending(op, TABLES)


def downgrade() -> None:
    unbound_search_pending(op, TABLES)
