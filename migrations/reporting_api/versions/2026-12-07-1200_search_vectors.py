"""search vectors (检索): each search table keeps the tsvector of its words in a stored column, indexed by GIN

Revision ID: reporting_search_vectors
Revises: reporting_search
Create Date: 2026-12-07 12:00:00.000000

PostgreSQL only (services/common/search_sql.py): a search no longer parses every row's words again; SQLite keeps
comparing the words.
"""

from collections.abc import Sequence

from alembic import op

from services.common.search_index import store_search_vector, unstore_search_vector

revision: str = "reporting_search_vectors"
down_revision: str | None = "reporting_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
TABLES = ("report_search",)


def upgrade() -> None:
    for table in TABLES:
        store_search_vector(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        unstore_search_vector(op, table)
