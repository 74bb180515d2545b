"""The one clock: the current instant and the business date, for every service.

This is the only module that reads the system clock. Business dates are judged in Asia/Shanghai: from
00:00 to 08:00 Beijing time the UTC date is still yesterday, and a report due "today" is not late yet.
Tests move time with `frozen(...)` (every reader in the process sees it, also the apps the tests serve
on other threads); production never sets it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The years the services accept in any date, instant or period: a plan's world, with room on both sides. Outside
# them, date arithmetic overflows (year 1 minus a day) and the official calendar knows nothing, so they are refused
# at the edge (services/common/guards.py, periods) rather than failing deep inside.
SUPPORTED_YEARS = range(1970, 2201)

_frozen: datetime | None = None  # set only by tests, through frozen()


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def business_date(moment: datetime) -> date:
    """The Beijing calendar day of an instant (a naive instant is taken as UTC, as the databases keep them)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(SHANGHAI).date()


def business_today() -> date:
    """Today in Asia/Shanghai: the day every judgement of late, overdue and due-in-N-days is made on."""
    return business_date(now())


def epoch_seconds() -> float:
    """Seconds since the epoch of `now()`, for protocols that count in them (JWT, webhook timestamps)."""
    return _frozen.timestamp() if _frozen is not None else time.time()


def is_supported_year(year: int) -> bool:
    return year in SUPPORTED_YEARS


def within_supported_years(day: date) -> date:
    """The day, or the nearest one of the supported years: a window computed around a supported day (180 days back
    from 1970-01-01) is cut at their edge, never sent to a peer that would refuse it."""
    first, last = date(SUPPORTED_YEARS.start, 1, 1), date(SUPPORTED_YEARS.stop - 1, 12, 31)
    return min(max(day, first), last)


@contextmanager
def frozen(at: datetime) -> Iterator[datetime]:
    """Tests only: the clock reads `at` (an aware instant) until the block ends."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware instant; say which time zone it is in.")
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield _frozen
    finally:
        _frozen = previous
