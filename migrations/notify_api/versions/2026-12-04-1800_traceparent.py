"""the W3C trace context of a notification (the event it fans out, webhooks carry it), carried on when it is sent on

Revision ID: notify_traceparent
Revises: notify_jobs
Create Date: 2026-12-04 18:00:00.000000

A traceparent is 55 characters (version 00); NULL for rows written outside any trace and before this revision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notify_traceparent"
down_revision: str | None = "notify_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("traceparent", sa.String(55), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("traceparent")
