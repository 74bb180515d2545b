"""The reporting calendar of a plan: 一季一梳理、半年一小结、一年一汇总.

Periods are derived from the plan's dates, never stored: quarters (2024-Q1), half-years (2024-H1)
and years (2024). A period's report is due a set number of calendar days after it ends, moved to
the next working day on the official calendar; the office may override a period's due date.
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
    """Kind of reporting period: quarter (季度), half year (半年) or year (年度)."""

    QUARTER = "quarter"    # 季度 (一季一梳理)
    HALF_YEAR = "half"     # 半年 (半年一小结)
    YEAR = "year"          # 年度 (一年一汇总)


@dataclass(frozen=True, slots=True)
class Period:
    id: str
    kind: PeriodKind
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class ScheduledPeriod:
    period: Period
    due_on: date
    overridden: bool
    official_calendar: bool  # False when the due date fell outside the official calendar's years


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def parse_period(period_id: str) -> Period:
    """The period an id names; 422 for anything else."""
    year = int(period_id[:4]) if _PERIOD.match(period_id) else 0
    if not year:  # the pattern lets 0000 through, and the calendar has no year 0
        raise Unprocessable(f"{period_id!r} is not a period: use 2024, 2024-H1 or 2024-Q3.")
    if not is_supported_year(year):
        raise Unprocessable(f"{period_id!r} is outside the supported years ({SUPPORTED_YEARS.start}–"
                            f"{SUPPORTED_YEARS.stop - 1}).")
    if len(period_id) == 4:
        return Period(period_id, PeriodKind.YEAR, date(year, 1, 1), date(year, 12, 31))
    part, n = period_id[5], int(period_id[6])
    months = 3 if part == "Q" else 6
    first = (n - 1) * months + 1
    kind = PeriodKind.QUARTER if part == "Q" else PeriodKind.HALF_YEAR
    return Period(period_id, kind, date(year, first, 1), _month_end(year, first + months - 1))


def periods_between(starts_on: date, ends_on: date) -> list[Period]:
    """Every quarter, half-year and year overlapping the plan, in the order their reports fall due."""
    found = []
    for year in range(starts_on.year, ends_on.year + 1):
        ids = [f"{year}-Q1", f"{year}-Q2", f"{year}-H1", f"{year}-Q3", f"{year}-Q4", f"{year}-H2", f"{year}"]
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
