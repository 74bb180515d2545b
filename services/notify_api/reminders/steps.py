"""The escalation ladder (三色督办单) as pure functions of dates: which step of a rule is due on a day, and
when a notice may go out given the rule's quiet hours. No I/O here, so every rule is unit-tested directly.

- Blue (提醒) on each of `steps_before` days before the due date (0: the day itself).
- Yellow (催办) on the first working day after the due date, then every `repeat_every_workdays` working days
  while the deadline stays unmet (0: no repeats).
- Red (督办) once the deadline is `escalate_after_days` working days overdue (逾期工作日数, as lateness is counted
  everywhere; a holiday does not eat the threshold); repeats after that are red too.

Only the latest step due on a day is sent: a step whose day has passed is not sent late, unless nothing
later has fallen due yet (a first dispatch a day before the deadline sends the 1-day notice, not all
earlier ones). Working days follow the official calendar with 调休 (services/common/workdays.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

from services.common.clock import SHANGHAI
from services.common.workdays import add_workdays, workdays_between, workdays_late
from services.notify_api.deliveries.models import Level
from services.notify_api.rules.rule import Rule

LEVEL_RANK = {Level.BLUE: 0, Level.YELLOW: 1, Level.RED: 2}


class Step(NamedTuple):
    """One rung of the ladder: its name (part of the exactly-once key), colour and day."""

    name: str
    level: Level
    on: date


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@lru_cache(maxsize=4096)
def _blue(due_on: date, steps_before: tuple[int, ...], today: date) -> Step | None:
    """The latest before-step on or before today: the fewest days before the due date that have come (cached: many
    deadlines share a due date: a province's day asks 110,000 times for a few hundred answers; due_today on a
    captured day 1.54 -> 0.67 s)."""
    come = [days for days in steps_before if due_on - timedelta(days=days) <= today]
    if not come:
        return None
    latest = min(come)
    return Step("due-today" if latest == 0 else f"before-{latest}", Level.BLUE, due_on - timedelta(days=latest))


@lru_cache(maxsize=4096)
def _overdue(due_on: date, repeat: int, escalate_after: int, today: date) -> Step | None:
    """The latest overdue step on or before today (cached: many deadlines share a due date)."""
    latest, _ = add_workdays(due_on, 1)
    if latest > today:
        return None
    while repeat:
        following, _ = add_workdays(latest, repeat)
        if following > today:
            break
        latest = following
    escalation, _ = add_workdays(due_on, escalate_after)
    if escalation <= today:
        latest = max(latest, escalation)
    workdays, _ = workdays_between(due_on, latest)
    if latest >= escalation:
        return Step(f"escalated-{workdays}", Level.RED, latest)
    return Step(f"overdue-{workdays}", Level.YELLOW, latest)


def due_step(due_on: date, rule: Rule, today: date) -> Step | None:
    """The step of `rule` to send about a deadline on `today`, or None (too early)."""
    if today <= due_on:
        return _blue(due_on, rule.steps_before, today)
    return _overdue(due_on, rule.repeat_every_workdays, rule.escalate_after_days, today)


@dataclass(frozen=True, slots=True)
class Countdown:
    """How far a due date is from a day, in calendar and in working days (negative: overdue, by 逾期工作日数)."""

    days: int
    workdays: int
    official_calendar: bool


@lru_cache(maxsize=4096)  # many deadlines share a due date, and the calendar lookups are not cheap
def countdown(today: date, due_on: date) -> Countdown:
    workdays, official = workdays_between(today, due_on)
    if today > due_on:  # overdue counts as lateness does everywhere: at least one working day
        workdays = -workdays_late(due_on, today)
    return Countdown((due_on - today).days, workdays, official)


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(moment: datetime, start: str, end: str) -> bool:
    """Whether a moment falls in the quiet hours [start, end) in Asia/Shanghai (they may span midnight)."""
    begins, ends = _clock(start), _clock(end)
    now = aware(moment).astimezone(SHANGHAI).time()
    if begins == ends:
        return False
    if begins < ends:
        return begins <= now < ends
    return now >= begins or now < ends


def release_time(moment: datetime, start: str, end: str) -> datetime:
    """When a notice written at `moment` may go out: then, or held to the end of the quiet hours."""
    moment = aware(moment)
    if not in_quiet_hours(moment, start, end):
        return moment
    local = moment.astimezone(SHANGHAI)
    release = datetime.combine(local.date(), _clock(end), SHANGHAI)
    if release <= local:
        release += timedelta(days=1)
    return release.astimezone(UTC)
