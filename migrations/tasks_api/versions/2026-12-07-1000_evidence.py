"""evidence: files attached as evidence (佐证材料), their type, size and SHA-256 (services/common/evidence/)

Revision ID: tasks_evidence
Revises: tasks_item_links
Create Date: 2026-12-07 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

from services.common.evidence.table import create_evidence_table, drop_evidence_table

revision: str = "tasks_evidence"
down_revision: str | None = "tasks_item_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_evidence_table(op)


def downgrade() -> None:
    drop_evidence_table(op)
