"""A roll-up's period read, and what its lights are computed from.

A province plan's period is 50,000 lead reports, 50,000 latest indicator values and 50,000 accepted counts: ~30 MB
as driver records (the bench's plan 1). Each is read as one row of texts instead (texts.py: the filed counts, the
lead reports' states, the latest values, the accepted counts), a text per column, and kept as read: the roll-up memo
(memo.py) compares them as they came, so a roll-up whose period has not changed parses nothing. Only a miss folds
them into what the lights read (LightInputs: each pair's report state, a handful of distinct states each one shared
dict; the items behind; each item's progress; the earliest answer dates). The statements run side by side; a large
plan's one after the other (ONE_AT_A_TIME_RECORDS).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date
from functools import partial

from services.common.db import Database
from services.common.driver_reads import reading
from services.reporting_api.oversight.filed_counts import (
    FiledCounts,
    FiledTexts,
    filed_counts,
    filed_texts,
    filed_texts_read,
    rows_counted,
)
from services.reporting_api.oversight.indicators import behind_keys
from services.reporting_api.oversight.inputs import PeriodView, PlanData, read_period_view
from services.reporting_api.oversight.lights import earliest_answer_dates
from services.reporting_api.oversight.memo import InputMemo
from services.reporting_api.oversight.progress import ACCEPTED_FIELDS, completed_by_item, progress_of_items
from services.reporting_api.oversight.repository import (
    LATEST_FIELDS,
    LEAD_FIELDS,
    latest_points,
    lead_states,
    light_reads,
)
from services.reporting_api.oversight.rollups import FILED_KEY
from services.reporting_api.oversight.schemas.rows import LeadState
from services.reporting_api.oversight.texts import Texts, entries, text_row

# A plan of this many records (items, responsibilities, indicators; a typical plan has 6,000) reads its period one
# statement at a time: a little slower, and the driver never receives two of its statements' answers at once (a
# province's texts are megabytes each; as records, before, each statement's were folded before the next was read).
ONE_AT_A_TIME_RECORDS = 50_000


@dataclass(frozen=True, slots=True)
class LightInputs:
    """What the lights of a period read beyond the plan: the state of each pair's lead report, the keys of the
    indicators behind by item, each item's progress status and each item's earliest answer date."""

    reports: dict[int, LeadState]  # by pair key
    behind: dict[int, list[str]]
    progress: dict[int, str]
    duties: dict[int, date]


@dataclass(frozen=True, slots=True)
class LightTexts:
    """What the lights read of a period, as read: the lead reports' states, the latest values and the accepted
    counts as texts (LEAD_FIELDS, LATEST_FIELDS, ACCEPTED_FIELDS), and the few open instructions' earliest answer
    dates."""

    leads: Texts
    points: Texts
    accepted: Texts
    duties: dict[int, date]

    @property
    def size(self) -> int:
        """What the memo's bound counts of them: their entries."""
        return entries(self.leads[0]) + entries(self.points[0]) + entries(self.accepted[0]) + len(self.duties)

    def folded(self, view: PeriodView) -> LightInputs:
        """What the lights read of them, for the plan and rules of `view`."""
        shape = view.data.shape
        return LightInputs(
            lead_states(self.leads),
            behind_of(view, latest_points(self.points)),
            progress_of_items(shape.items, completed_by_item(self.accepted)),
            self.duties,
        )


@dataclass(frozen=True, slots=True)
class RollupRead:
    """A roll-up's period: the view, the filed counts per key and what the lights read, as read (texts, which the
    roll-up memo compares as they came)."""

    view: PeriodView
    filed: FiledTexts
    lights: LightTexts

    @property
    def size(self) -> int:
        """What the memo's bound counts of the read: the keys counted and the lights' entries."""
        return rows_counted(self.filed) + self.lights.size

    def derived(self, memo: InputMemo, plan: Hashable, key: str) -> tuple[LightInputs, FiledCounts]:
        """What the lights and the filed counts per `key` (unit or item) derive from the read, for the plan (its
        revision) of the view: kept in `memo` while the rows read the same, for every grouping and day of the
        period (the lights themselves depend on the day). The counts leave out the items not owing the period (the
        shape keeps that set while the rhythm is the same: compared by identity then)."""
        view, lights, filed = self.view, self.lights, self.filed
        plan_id, period, not_owed = view.data.plan.id, view.period, view.owing.not_owed
        lit = memo.derived(
            ("lights", plan_id, period), (plan, view.rules, lights), partial(lights.folded, view), lights.size
        )
        counts = memo.derived(
            ("filed", plan_id, period, key),
            (filed, not_owed),
            partial(filed_counts, filed, key, not_owed),
            rows_counted(filed),
        )
        return lit, counts


def behind_of(view: PeriodView, latest: dict[int, tuple[date, float]]) -> dict[int, list[str]]:
    """The indicators behind their path, by item, from each indicator's latest point (repository.latest_points)."""
    return behind_keys(
        view.data.shape.indicators,
        latest,
        plan_start=view.data.plan.starts_on,
        margin=view.rules["indicator_margin"],
    )


async def read_rollup(db: Database, data: PlanData, period: str, by: str, today: date) -> RollupRead:
    """The period of a plan read from tasks_api, as a roll-up by `by` reads it."""
    reads = [
        filed_texts_read(data.plan.id, period, FILED_KEY[by]),
        *light_reads(data.plan.id, period, today, states_only=True),
    ]
    side_by_side = data.shape.size < ONE_AT_A_TIME_RECORDS
    async with db.reads() as conn, reading(db, conn, reads, side_by_side=side_by_side) as under_way:
        view, _ = await read_period_view(db, conn, data, period, today)
        filed, leads, points, accepted, duties = await under_way.all()
    lights = LightTexts(
        text_row(leads, LEAD_FIELDS),
        text_row(points, LATEST_FIELDS),
        text_row(accepted, ACCEPTED_FIELDS),
        earliest_answer_dates(duties),
    )
    return RollupRead(view, filed_texts(filed, FILED_KEY[by]), lights)
