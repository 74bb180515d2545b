"""Working days on the official Chinese calendar: statutory holidays and make-up working days (调休).

The calendar comes from the maintained `chinesecalendar` package, which knows the years the State
Council has published. Outside them we fall back to "Monday to Friday" and say so, because a guessed
holiday is worse than an honest approximation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar


@dataclass(frozen=True, slots=True)
class WorkdayAnswer:
    is_workday: bool
    official: bool  # False when the date is outside the published years and only weekends were considered


@lru_cache(maxsize=8192)  # a plan's schedule asks about the same days on every request; the calendar is fixed
def check(day: date) -> WorkdayAnswer:
    """Whether `day` is a working day, and whether the official calendar knew it."""
    try:
        return WorkdayAnswer(chinese_calendar.is_workday(day), True)
    except NotImplementedError:
        return WorkdayAnswer(day.weekday() < 5, False)


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


def workdays_between(start: date, end: date) -> tuple[int, bool]:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    if end < start:
        count, official = workdays_between(end, start)
        return -count, official
    official, count, day = True, 0, start
    while day < end:
        day += timedelta(days=1)
        answer = check(day)
        official = official and answer.official
        count += answer.is_workday
    return count, official


@lru_cache(maxsize=8192)  # the ledger and the history import ask it for many pairs of the same dates
def workdays_late(due_on: date, on: date) -> int:
    """逾期工作日数 of something due on `due_on` and done (or still not done) on business day `on`.

    0 when `on` is not after the due date. Otherwise the official working days after the due date up to and
    including `on`, at least 1: a report filed on the Saturday after a Friday deadline, or during a holiday, is
    late (the office reads "逾期" from the date alone) and never shows as 0 days late.
    """
    if on <= due_on:
        return 0
    return max(1, workdays_between(due_on, on)[0])
