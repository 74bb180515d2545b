"""the change log as a hash chain (审计链), and its indexes for the audit (by actor, by time)

Revision ID: tasks_change_log_chain
Revises: tasks_traceparent
Create Date: 2026-12-06 09:00:00.000000

The rows already written are chained in id order (services/common/audit_chain.py).
"""

from collections.abc import Sequence

from alembic import op

from services.common.audit_chain import add_chain, drop_chain

revision: str = "tasks_change_log_chain"
down_revision: str | None = "tasks_traceparent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_chain(op)


def downgrade() -> None:
    drop_chain(op)
