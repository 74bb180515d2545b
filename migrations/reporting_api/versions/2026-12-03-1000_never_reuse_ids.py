"""ids are never reused: on SQLite every table keyed by one integer id gets AUTOINCREMENT

Revision ID: reporting_never_reuse_ids
Revises: cadence_0830_report_types
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

from services.common.migrations import never_reuse_ids_on_sqlite

revision: str = "reporting_never_reuse_ids"
down_revision: str | None = "cadence_0830_report_types"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    never_reuse_ids_on_sqlite(op)


def downgrade() -> None:
    # Ids handed out stay unique either way; a table keeps AUTOINCREMENT until it is dropped by an older step.
    pass
