"""The reporting calendar of a plan: 一季一梳理、半年一小结、一年一汇总.

Periods are derived from the plan's dates, never stored: months (2024-M01), quarters (2024-Q1), half-years
(2024-H1) and years (2024). A period's report is due a set number of calendar days after it ends, moved to
the next working day on the official calendar; the office may override a period's due date.

Several periods end on the same day (2024-Q2, 2024-H1 and 2024-M06 on 30 June). The report owed on such a day
is the one of the largest period ending there (`owed_period`): the half-year summary answers for Q2 and June,
the annual summary for Q4, H2 and December. A cadence says on which of those days an item owes its report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from services.common.clock import SUPPORTED_YEARS, is_supported_year
from services.common.identifiers import PERIOD_PATTERN
from services.common.problems import Unprocessable
from services.common.workdays import next_workday

_PERIOD = re.compile(PERIOD_PATTERN)


class PeriodKind(StrEnum):
    """Kind of reporting period: month (月度), quarter (季度), half year (半年) or year (年度)."""

    MONTH = "month"  # 月度
    QUARTER = "quarter"  # 季度 (一季一梳理)
    HALF_YEAR = "half"  # 半年 (半年一小结)
    YEAR = "year"  # 年度 (一年一汇总)


class ReportType(StrEnum):
    """The kind of report a period asks for: monthly or quarterly progress, the half-year or the annual summary."""

    MONTHLY = "monthly"  # 月度进展
    QUARTERLY = "quarterly"  # 季度梳理
    HALF_YEAR = "half_year"  # 半年小结
    ANNUAL = "annual"  # 年度汇总


class Cadence(StrEnum):
    """How often an item owes a report (报送频次): monthly, quarterly, half-yearly, yearly or none."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"
    NONE = "none"


REPORT_TYPE = {
    PeriodKind.MONTH: ReportType.MONTHLY,
    PeriodKind.QUARTER: ReportType.QUARTERLY,
    PeriodKind.HALF_YEAR: ReportType.HALF_YEAR,
    PeriodKind.YEAR: ReportType.ANNUAL,
}
# The months at whose end a cadence owes a report.
DUE_MONTHS = {
    Cadence.MONTHLY: frozenset(range(1, 13)),
    Cadence.QUARTERLY: frozenset({3, 6, 9, 12}),
    Cadence.HALF_YEARLY: frozenset({6, 12}),
    Cadence.YEARLY: frozenset({12}),
    Cadence.NONE: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Period:
    id: str
    kind: PeriodKind
    starts_on: date
    ends_on: date

    @property
    def report_type(self) -> ReportType:
        return REPORT_TYPE[self.kind]


@dataclass(frozen=True, slots=True)
class ScheduledPeriod:
    period: Period
    due_on: date
    overridden: bool
    official_calendar: bool  # False when the due date fell outside the official calendar's years


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


_MONTHS_OF = {"M": 1, "Q": 3, "H": 6}
_KIND_OF = {"M": PeriodKind.MONTH, "Q": PeriodKind.QUARTER, "H": PeriodKind.HALF_YEAR}


def parse_period(period_id: str) -> Period:
    """The period an id names; 422 for anything else."""
    year = int(period_id[:4]) if _PERIOD.match(period_id) else 0
    if not year:  # the pattern lets 0000 through, and the calendar has no year 0
        raise Unprocessable(f"{period_id!r} is not a period: use 2024, 2024-H1, 2024-Q3 or 2024-M01.")
    if not is_supported_year(year):
        raise Unprocessable(
            f"{period_id!r} is outside the supported years ({SUPPORTED_YEARS.start}–{SUPPORTED_YEARS.stop - 1})."
        )
    if len(period_id) == 4:
        return Period(period_id, PeriodKind.YEAR, date(year, 1, 1), date(year, 12, 31))
    part, n = period_id[5], int(period_id[6:])
    months = _MONTHS_OF[part]
    first = (n - 1) * months + 1
    return Period(period_id, _KIND_OF[part], date(year, first, 1), _month_end(year, first + months - 1))


def periods_ending(year: int, month: int) -> list[str]:
    """The ids of the periods that end with this month, smallest first (2024, 6 → 2024-M06, 2024-Q2, 2024-H1)."""
    ids = [f"{year}-M{month:02d}"]
    if month % 3 == 0:
        ids.append(f"{year}-Q{month // 3}")
    if month % 6 == 0:
        ids.append(f"{year}-H{month // 6}")
    if month == 12:
        ids.append(f"{year}")
    return ids


def owed_period(period: Period) -> Period:
    """The period whose report answers for `period`: the largest one ending the same day (Q2 → H1, Q4 → year)."""
    return parse_period(periods_ending(period.ends_on.year, period.ends_on.month)[-1])


def answering_ids(period: Period) -> tuple[str, ...]:
    """Every period whose report may answer for `period` (filed under any cadence): those ending the same day."""
    return tuple(periods_ending(period.ends_on.year, period.ends_on.month))


def owes_on(cadence: Cadence, period: Period) -> bool:
    """Whether an item of this cadence owes a report at the end of `period`."""
    return period.ends_on.month in DUE_MONTHS[cadence]


def periods_between(starts_on: date, ends_on: date) -> list[Period]:
    """Every month, quarter, half-year and year overlapping the plan, in the order their reports fall due."""
    found = []
    for year in range(starts_on.year, ends_on.year + 1):
        ids = [pid for month in range(1, 13) for pid in periods_ending(year, month)]
        found += [p for p in map(parse_period, ids) if p.ends_on >= starts_on and p.starts_on <= ends_on]
    return found


def due_date(period: Period, days_after: int) -> tuple[date, bool]:
    """`days_after` calendar days after the period ends, moved to the next working day."""
    return next_workday(period.ends_on + timedelta(days=days_after))


def schedule(starts_on: date, ends_on: date, days_after: int, overrides: dict[str, date]) -> list[ScheduledPeriod]:
    """The plan's periods with their due dates."""
    scheduled = []
    for period in periods_between(starts_on, ends_on):
        if period.id in overrides:
            scheduled.append(ScheduledPeriod(period, overrides[period.id], True, True))
        else:
            due, official = due_date(period, days_after)
            scheduled.append(ScheduledPeriod(period, due, False, official))
    return scheduled
