"""indexes for the deadline calendar: items, milestones and indicator targets by due date

Revision ID: tasks_deadline_indexes
Revises: tasks_jobs
Create Date: 2026-12-03 15:00:00.000000

GET /v1/deadlines pages each kind of deadline by (due date, id) from the cursor on; without these indexes every
page sorted the whole window (notify_api's dispatch reads a province's 35,000 deadlines in 70 pages).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "tasks_deadline_indexes"
down_revision: str | None = "tasks_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_items_due", "items", "due_on"),
    ("ix_milestones_due", "milestones", "due_on"),
    ("ix_indicators_due", "indicators", "target_date"),
)


def upgrade() -> None:
    for name, table, due in INDEXES:
        op.create_index(name, table, [due, "id"])


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
