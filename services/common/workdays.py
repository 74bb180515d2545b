"""Working days on the official Chinese calendar: statutory holidays and make-up working days (调休).

The calendar comes from the maintained `chinesecalendar` package, which knows the years the State Council's yearly
notice has published (through 2026 in 1.11.0). A later year is answered with official=False, and is still not
"Monday to Friday": the statutory holidays are fixed by law years ahead (《全国年节及纪念日放假办法》 as revised in
2024, in force from 2025), only the yearly notice's 调休 (which weekdays join a holiday, which weekend days are
worked instead) are not. So from 2025 on an unpublished year rests on Saturdays, Sundays and the law's 13 days:
元旦 1 January, 春节 农历除夕 to 正月初三, 清明 (the solar term's day), 劳动节 1-2 May, 端午 五月初五, 中秋 八月十五
and 国庆 1-3 October (the lunar dates and 清明 in law_holidays.py, through 2100). Without them, 1 January
2027 (a Friday) would count as a working day and a report due on 31 December 2026 would be two working days late
on Monday 4 January instead of one. The years before 2004 that chinesecalendar does not know fall back to Monday
to Friday, as the law's days then differed.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

from services.common.law_holidays import LAW_YEARS, LUNAR_DAYS


@dataclass(frozen=True, slots=True)
class WorkdayAnswer:
    is_workday: bool
    official: bool  # False when the date is outside the published years: weekends and the law's holidays, no 调休


_ANSWERS = {(work, official): WorkdayAnswer(work, official) for work in (False, True) for official in (False, True)}


def check(day: date) -> WorkdayAnswer:
    """Whether `day` is a working day, and whether the official calendar knew it."""
    return _year(day.year).answer(day)


def is_workday(day: date) -> bool:
    return check(day).is_workday


def next_workday(day: date) -> tuple[date, bool]:
    """`day` itself if it is a working day, else the next one; and whether the official calendar covered it."""
    official = True
    while True:
        answer = check(day)
        official = official and answer.official
        if answer.is_workday:
            return day, official
        day += timedelta(days=1)


def add_workdays(day: date, count: int) -> tuple[date, bool]:
    """The date `count` working days after `day` (before it when negative)."""
    step = timedelta(days=1 if count >= 0 else -1)
    official = True
    remaining = abs(count)
    while remaining:
        day += step
        answer = check(day)
        official = official and answer.official
        remaining -= answer.is_workday
    return day, official


@dataclass(frozen=True, slots=True)
class _Year:
    """A year's running counts: `work[n]` the working days, `guessed[n]` the days the official calendar did not know,
    among its first n days (n = 0 … days in the year). Two arrays of machine integers, not a Python object per day:
    what a year is asked is answered from them (a day's own answer is the step of the counts at it), so that a batch
    that first reaches a year leaves two blocks, not a cached record per day scattered through the memory it used."""

    first: int  # the ordinal (date.toordinal) of 1 January
    work: array[int]
    guessed: array[int]

    def day(self, day: date) -> int:
        """The day's number in the year, from 1."""
        return day.toordinal() - self.first + 1

    def answer(self, day: date) -> WorkdayAnswer:
        n = self.day(day)
        return _ANSWERS[(self.work[n] > self.work[n - 1], self.guessed[n] == self.guessed[n - 1])]

    def between(self, after: int, through: int) -> tuple[int, int]:
        """Working and guessed days among days after + 1 … through of the year (days counted from 1)."""
        return self.work[through] - self.work[after], self.guessed[through] - self.guessed[after]


def statutory_holidays(year: int) -> frozenset[date]:
    """The days the law closes in `year` (none before it was in force, nor past the table), whatever the yearly
    notice adds: its solar dates, and its lunar ones and 清明 from law_holidays.py."""
    if year not in LAW_YEARS:
        return frozenset()
    eve, qingming, duanwu, zhongqiu = (date.fromisoformat(f"{year}-{day}") for day in LUNAR_DAYS[year])
    return frozenset(
        {date(year, 1, 1), date(year, 5, 1), date(year, 5, 2), qingming, duanwu, zhongqiu}
        | {eve + timedelta(days=n) for n in range(4)}  # 除夕 to 初三
        | {date(year, 10, n) for n in (1, 2, 3)}
    )


def _answers(year: int) -> Callable[[date], WorkdayAnswer]:
    """How a day of `year` is answered: by the official calendar, or by weekends and the law's holidays."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))  # the package knows whole years or none of one
    except NotImplementedError:
        closed = statutory_holidays(year)
        return lambda day: _ANSWERS[(day.weekday() < 5 and day not in closed, False)]
    return lambda day: _ANSWERS[(chinese_calendar.is_workday(day), True)]


@lru_cache(maxsize=256)  # a year is two arrays of 367 counts; plans span a decade, lateness a few years back from today
def _year(year: int) -> _Year:
    day, work, guessed = date(year, 1, 1), array("H", [0]), array("H", [0])
    first, answer_of = day.toordinal(), _answers(year)
    while day.year == year:
        answer = answer_of(day)
        work.append(work[-1] + answer.is_workday)
        guessed.append(guessed[-1] + (not answer.official))
        day += timedelta(days=1)
    return _Year(first, work, guessed)


def workdays_between(start: date, end: date) -> tuple[int, bool]:
    """Working days after `start` up to and including `end` (negative when `end` is earlier), and whether the
    official calendar knew every one of those days. Counted from each year's running counts, not day by day: the
    lateness of a report due years ago is asked on every compliance request and for every reminder of a dispatch."""
    if end < start:
        count, official = workdays_between(end, start)
        return -count, official
    year = _year(start.year)
    first = year.day(start)
    if start.year == end.year:
        work, guessed = year.between(first, year.day(end))
        return work, not guessed
    work, guessed = year.between(first, len(year.work) - 1)
    for middle in range(start.year + 1, end.year):
        whole = _year(middle)
        work, guessed = work + whole.work[-1], guessed + whole.guessed[-1]
    last = _year(end.year)
    tail_work, tail_guessed = last.between(0, last.day(end))
    return work + tail_work, not (guessed + tail_guessed)


def workdays_late(due_on: date, on: date) -> int:
    """逾期工作日数 of something due on `due_on` and done (or still not done) on business day `on`.

    0 when `on` is not after the due date. Otherwise the official working days after the due date up to and
    including `on`, at least 1: a report filed on the Saturday after a Friday deadline, or during a holiday, is
    late (the office reads "逾期" from the date alone) and never shows as 0 days late.
    """
    if on <= due_on:
        return 0
    return max(1, workdays_between(due_on, on)[0])
