"""the worker's jobs table (services/common/jobs.py)

Revision ID: tasks_jobs
Revises: tasks_never_reuse_ids
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

from services.common.migrations import create_jobs_table, drop_jobs_table

revision: str = "tasks_jobs"
down_revision: str | None = "tasks_never_reuse_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_jobs_table(op)


def downgrade() -> None:
    drop_jobs_table(op)
