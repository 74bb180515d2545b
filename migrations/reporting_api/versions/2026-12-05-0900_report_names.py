"""report_names: a report keeps its item's number and title and its unit's name as they were when it was filed,
so the report.* events carry them without asking tasks_api (null for reports filed before)

Revision ID: reporting_report_names
Revises: reporting_export_chunks
Create Date: 2026-12-05 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_report_names"
down_revision: str | None = "reporting_export_chunks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("item_number", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("item_title", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("unit_name", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("unit_name")
        batch.drop_column("item_title")
        batch.drop_column("item_number")
