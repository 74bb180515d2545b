"""A roll-up's period read, and what its lights are computed from, derived as soon as the rows are read.

A province plan's period is 50,000 lead reports, 50,000 latest indicator values and 50,000 accepted counts: ~30 MB
as driver records (the bench's plan 1). What the lights read of them is far less: each pair's report state (a
handful of distinct states, each one shared dict), the items behind, each item's progress and the earliest answer
dates. So a roll-up keeps only those, each read folded as it is taken (driver_reads.Reading hands rows out once),
all before the lights and the tally are computed; the filed counts, lead states and accepted counts come as one row
of texts each (texts.py), the latest values as records. The roll-up memo (memo.py) compares the filed counts' texts
and these derived inputs, which decide the answer as the rows did, instead of keeping the rows. The statements run
side by side, so their rows wait together until folded; a large plan's run one after the other, each folded before
the next starts: plan 1's roll-up peaked 32 MB over its shape side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

from services.common.db import Database
from services.common.driver_reads import Rows, reading
from services.reporting_api.oversight.filed_counts import FiledTexts, filed_texts, filed_texts_read, rows_counted
from services.reporting_api.oversight.indicators import behind_keys
from services.reporting_api.oversight.inputs import PeriodView, PlanData, read_period_view
from services.reporting_api.oversight.lights import earliest_answer_dates
from services.reporting_api.oversight.progress import completed_by_item, progress_of_items
from services.reporting_api.oversight.repository import lead_states, light_reads
from services.reporting_api.oversight.rollups import FILED_KEY
from services.reporting_api.oversight.schemas.rows import LatestPoint, LeadState

# A plan of this many records (items, responsibilities, indicators; a typical plan has 6,000) reads its period one
# statement at a time: a little slower, and its rows never wait beside another statement's.
ONE_AT_A_TIME_RECORDS = 50_000


@dataclass(frozen=True, slots=True)
class LightInputs:
    """What the lights of a period read beyond the plan: the state of each pair's lead report, the keys of the
    indicators behind by item, each item's progress status and each item's earliest answer date."""

    reports: dict[tuple[int, int], LeadState]
    behind: dict[int, list[str]]
    progress: dict[int, str]
    duties: dict[int, date]

    @property
    def size(self) -> int:
        """What the memo's bound counts of them: their entries."""
        return len(self.reports) + len(self.behind) + len(self.progress) + len(self.duties)


@dataclass(frozen=True, slots=True)
class RollupRead:
    """A roll-up's period: the view, the filed counts per key as read (filed_counts.py: texts, which the roll-up memo
    compares as they came) and the lights' inputs."""

    view: PeriodView
    filed: FiledTexts
    lit: LightInputs

    @property
    def size(self) -> int:
        """What the memo's bound counts of the read: the keys counted and the lights' inputs."""
        return rows_counted(self.filed) + self.lit.size


def behind_of(view: PeriodView, latest_points: Rows) -> dict[int, list[str]]:
    """The indicators behind their path, by item, from each indicator's latest point."""
    return behind_keys(
        view.data.shape.indicators,
        cast(Sequence[LatestPoint], latest_points),
        plan_start=view.data.plan.starts_on,
        margin=view.rules["indicator_margin"],
    )


async def read_rollup(db: Database, data: PlanData, period: str, by: str, today: date) -> RollupRead:
    """The period of a plan read from tasks_api, as a roll-up by `by` reads it; the rows are not kept."""
    reads = [
        filed_texts_read(data.plan.id, period, FILED_KEY[by]),
        *light_reads(data.plan.id, period, today, states_only=True),
    ]
    side_by_side = data.shape.size < ONE_AT_A_TIME_RECORDS
    async with db.read() as conn, reading(db, conn, reads, side_by_side=side_by_side) as under_way:
        view, _ = await read_period_view(db, conn, data, period, today)
        filed = filed_texts(await under_way.rows(0))
        # Each statement's rows folded as they are taken: freed before the next is folded.
        reports = lead_states(await under_way.rows(1))
        behind = behind_of(view, await under_way.rows(2))
        progress = progress_of_items(view.data.shape.items, completed_by_item(await under_way.rows(3)))
        duties = earliest_answer_dates(await under_way.rows(4))
    return RollupRead(view, filed, LightInputs(reports, behind, progress, duties))
