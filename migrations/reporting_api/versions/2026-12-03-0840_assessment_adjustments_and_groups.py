"""assessment: bonus and penalty points (assessment_adjustments) and the plan's assessment groups

Revision ID: assessment_0001
Revises: 469b2e2c9179
Create Date: 2026-12-03 08:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "assessment_0001"
down_revision: str | None = "469b2e2c9179"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The default lists as of this revision (services/reporting_api/periods/models.py may change later; this stays).
DEFAULT_GROUPS = [
    {"key": "counties", "title": "县（市、区）", "kinds": ["county"], "ranked": True},
    {"key": "departments", "title": "市级部门", "kinds": ["department"], "ranked": True},
    {"key": "zones", "title": "功能区", "kinds": ["zone"], "ranked": False},
    {"key": "enterprises", "title": "企业", "kinds": ["enterprise"], "ranked": False},
    {"key": "universities", "title": "高校", "kinds": ["university"], "ranked": False},
    {"key": "other_units", "title": "其他单位", "kinds": ["office", "task_force", "people_org"], "ranked": False},
]


def upgrade() -> None:
    op.create_table(
        "assessment_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,  # a withdrawn adjustment's id is never reused: its history stays its own
    )
    op.create_index(
        "ix_assessment_adjustments_plan_year", "assessment_adjustments", ["plan_id", "year", "unit_id"], unique=False
    )
    with op.batch_alter_table("plan_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessment_groups", sa.JSON(), nullable=True))
    rules = sa.table("plan_rules", sa.column("assessment_groups", sa.JSON()))
    op.execute(rules.update().values(assessment_groups=DEFAULT_GROUPS))
    with op.batch_alter_table("plan_rules", schema=None) as batch_op:
        batch_op.alter_column("assessment_groups", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("plan_rules", schema=None) as batch_op:
        batch_op.drop_column("assessment_groups")
    op.drop_index("ix_assessment_adjustments_plan_year", table_name="assessment_adjustments")
    op.drop_table("assessment_adjustments")
