"""the W3C trace context of an outbox event (the request that made it), carried on when it is sent on

Revision ID: reporting_traceparent
Revises: reporting_export_chunks
Create Date: 2026-12-04 18:00:00.000000

A traceparent is 55 characters (version 00); NULL for rows written outside any trace and before this revision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_traceparent"
down_revision: str | None = "reporting_report_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_events") as batch:
        batch.add_column(sa.Column("traceparent", sa.String(55), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_events") as batch:
        batch.drop_column("traceparent")
