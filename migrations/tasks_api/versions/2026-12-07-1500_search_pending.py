"""search pending (检索): the words indexes of items and indicators keep at most 64 kB of new words unmerged

Revision ID: tasks_search_pending
Revises: tasks_search_vectors
Create Date: 2026-12-07 15:00:00.000000

On PostgreSQL (services/common/search_sql.py) the lists are emptied here: 47,000 indicators' words waited in one,
read by every search of them.
"""

from collections.abc import Sequence

from alembic import op

from services.common.search_index import bound_search_pending, unbound_search_pending

revision: str = "tasks_search_pending"
down_revision: str | None = "tasks_search_vectors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
TABLES = ("item_search", "indicator_search")


def upgrade() -> None:
    bound_search_pending(op, TABLES)


def downgrade() -> None:
    unbound_search_pending(op, TABLES)
