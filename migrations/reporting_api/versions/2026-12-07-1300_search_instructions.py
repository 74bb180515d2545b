"""search instructions (检索): the words of each instruction and each reply in its thread, in instruction_search and
instruction_reply_search

Revision ID: reporting_search_instructions
Revises: reporting_search_report_units
Create Date: 2026-12-07 13:00:00.000000

The instructions and replies already there are indexed here (services/common/search_index.py).
"""

from collections.abc import Sequence

from alembic import op

from services.common.search_index import add_search_table, drop_search_table, store_search_vector

revision: str = "reporting_search_instructions"
down_revision: str | None = "reporting_search_report_units"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
TABLES = (("instruction_search", "instructions"), ("instruction_reply_search", "instruction_replies"))


def upgrade() -> None:
    for name, source in TABLES:
        add_search_table(op, name, source, ("text",))
        store_search_vector(op, name)


def downgrade() -> None:
    for name, _ in reversed(TABLES):
        drop_search_table(op, name)
