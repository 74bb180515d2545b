"""search review comments (检索): the words of each review comment (审核意见) on a report's version, with the
report's unit, in review_comment_search

Revision ID: reporting_search_review_comments
Revises: reporting_search_instructions
Create Date: 2026-12-07 14:00:00.000000

The comments already there are indexed here (services/common/search_index.py): only the versions reviewed with a
comment get a row.
"""

from collections.abc import Sequence

from alembic import op

from services.common.search_index import (
    add_search_scope,
    add_search_table,
    drop_search_table,
    store_search_vector,
)

revision: str = "reporting_search_review_comments"
down_revision: str | None = "reporting_search_instructions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
NAME, SOURCE = "review_comment_search", "report_versions"


def upgrade() -> None:
    add_search_table(op, NAME, SOURCE, ("review_comment",), texted=True)
    add_search_scope(op, NAME, SOURCE, "unit_id", through=("reports", "report_id"))
    store_search_vector(op, NAME)  # after the scope's UPDATE: the index built once over the rows as they stay


def downgrade() -> None:
    drop_search_table(op, NAME)
