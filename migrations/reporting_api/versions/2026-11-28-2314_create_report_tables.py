"""create report tables

Revision ID: ec67e245ecd3
Revises: a6a0abb30faf
Create Date: 2026-11-28 23:14:38.740225
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ec67e245ecd3"
down_revision: str | None = "a6a0abb30faf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "closed_periods",
        sa.Column("plan_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("closed_by", sa.String(length=255), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "period"),
    )
    op.create_table(
        "due_date_overrides",
        sa.Column("plan_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(length=255), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "period"),
    )
    op.create_table(
        "plan_rules",
        sa.Column("due_days_after_period", sa.Integer(), nullable=False),
        sa.Column("due_soon_days", sa.Integer(), nullable=False),
        sa.Column("indicator_margin", sa.Float(), nullable=False),
        sa.Column("plan_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id"),
    )
    op.create_table(
        "reports",
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("problems", sa.Text(), nullable=False),
        sa.Column("next_steps", sa.Text(), nullable=False),
        sa.Column("percent_complete", sa.Integer(), nullable=False),
        sa.Column("self_status", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("measurements", sa.JSON(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("first_submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("days_late", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "unit_id", "period"),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_item_id"), ["item_id"], unique=False)
        batch_op.create_index("ix_reports_plan_period", ["plan_id", "period", "id"], unique=False)
        batch_op.create_index("ix_reports_unit", ["unit_id", "id"], unique=False)

    op.create_table(
        "report_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_transitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_transitions_report_id"), ["report_id"], unique=False)

    op.create_table(
        "report_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.String(length=255), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("days_late", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("reviewed_by", sa.String(length=255), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id", "number"),
    )
    op.create_table(
        "measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["report_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.create_index("ix_measurements_indicator", ["indicator_id", "as_of"], unique=False)
        batch_op.create_index("ix_measurements_plan", ["plan_id", "indicator_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_index("ix_measurements_plan")
        batch_op.drop_index("ix_measurements_indicator")

    op.drop_table("measurements")
    op.drop_table("report_versions")
    with op.batch_alter_table("report_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_transitions_report_id"))

    op.drop_table("report_transitions")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_unit")
        batch_op.drop_index("ix_reports_plan_period")
        batch_op.drop_index(batch_op.f("ix_reports_item_id"))

    op.drop_table("reports")
    op.drop_table("plan_rules")
    op.drop_table("due_date_overrides")
    op.drop_table("closed_periods")
