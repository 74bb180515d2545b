"""instructions: leader instructions (领导批示) on items and reports, the units they concern, their threads and
read receipts (已阅)

Revision ID: reporting_instructions
Revises: reporting_evidence
Create Date: 2026-12-07 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_instructions"
down_revision: str | None = "reporting_evidence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instructions() -> None:
    op.create_table(
        "instructions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("item_number", sa.String(length=40), nullable=False),
        sa.Column("item_title", sa.String(length=500), nullable=False),
        sa.Column("lead_unit_id", sa.Integer(), nullable=False),
        sa.Column("lead_unit_name", sa.String(length=100), nullable=False),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("author_title", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answer_by", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=255), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,  # an instruction's id is never given again: its history stays its own
    )
    op.create_index("ix_instructions_item", "instructions", ["item_id", "id"], unique=False)
    op.create_index("ix_instructions_lead_unit", "instructions", ["lead_unit_id", "id"], unique=False)
    op.create_index("ix_instructions_open", "instructions", ["plan_id", "status", "item_id", "answer_by"], unique=False)


def upgrade() -> None:
    _instructions()
    op.create_table(
        "instruction_units",
        sa.Column("instruction_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("concern", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["instruction_id"], ["instructions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instruction_id", "unit_id"),
    )
    op.create_index("ix_instruction_units_unit", "instruction_units", ["unit_id", "instruction_id"], unique=False)
    op.create_table(
        "instruction_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instruction_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instruction_id"], ["instructions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,  # ids never given again: the history of a reply or receipt stays its own
    )
    op.create_index("ix_instruction_replies_instruction_id", "instruction_replies", ["instruction_id"], unique=False)
    op.create_table(
        "instruction_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instruction_id", sa.Integer(), nullable=False),
        sa.Column("reader", sa.String(length=255), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instruction_id"], ["instructions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instruction_id", "reader"),
        sqlite_autoincrement=True,  # ids never given again: the history of a reply or receipt stays its own
    )


def downgrade() -> None:
    op.drop_table("instruction_reads")
    op.drop_index("ix_instruction_replies_instruction_id", table_name="instruction_replies")
    op.drop_table("instruction_replies")
    op.drop_index("ix_instruction_units_unit", table_name="instruction_units")
    op.drop_table("instruction_units")
    op.drop_index("ix_instructions_open", table_name="instructions")
    op.drop_index("ix_instructions_lead_unit", table_name="instructions")
    op.drop_index("ix_instructions_item", table_name="instructions")
    op.drop_table("instructions")
