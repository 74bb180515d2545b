"""search (检索): the words of each report's progress, achievements, problems and next steps, in report_search

Revision ID: reporting_search
Revises: reporting_instructions
Create Date: 2026-12-07 11:00:00.000000

The reports already there are indexed here (services/common/search_index.py), in batches.
"""

from collections.abc import Sequence

from alembic import op

from services.common.search_index import add_search_table, drop_search_table

revision: str = "reporting_search"
down_revision: str | None = "reporting_instructions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_search_table(op, "report_search", "reports", ("progress", "achievements", "problems", "next_steps"))


def downgrade() -> None:
    drop_search_table(op, "report_search")
