"""measurements: an indicator's values indexed by date then id, for its latest value found by walking back

Revision ID: reporting_measurements_latest
Revises: reporting_search_pending
Create Date: 2026-12-07 16:00:00.000000

The roll-up and the traffic lights read each indicator's latest value (oversight/repository.py
latest_points_statement): with the id in the index the walk back from `today` stops at the first value not returned,
where (indicator_id, as_of) alone made it sort every value of the latest date.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "reporting_measurements_latest"
down_revision: str | None = "reporting_search_pending"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_measurements_indicator_latest", "measurements", ["indicator_id", "as_of", "id"])
    op.drop_index("ix_measurements_indicator", table_name="measurements")


def downgrade() -> None:
    op.create_index("ix_measurements_indicator", "measurements", ["indicator_id", "as_of"])
    op.drop_index("ix_measurements_indicator_latest", table_name="measurements")
