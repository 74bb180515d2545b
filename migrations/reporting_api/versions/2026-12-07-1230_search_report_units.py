"""search report units (检索): each report's search row keeps the report's unit, indexed with the ids

Revision ID: reporting_search_report_units
Revises: reporting_search_vectors
Create Date: 2026-12-07 12:30:00.000000

A unit's search of its reports reads the search table alone (services/common/search_index.py): its hits among its
own rows, or its own rows newest first, instead of every report with the words joined to the reports to find its.
"""

from collections.abc import Sequence

from alembic import op

from services.common.search_index import add_search_scope, drop_search_scope

revision: str = "reporting_search_report_units"
down_revision: str | None = "reporting_search_vectors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_search_scope(op, "report_search", "reports", "unit_id")


def downgrade() -> None:
    drop_search_scope(op, "report_search", "unit_id")
