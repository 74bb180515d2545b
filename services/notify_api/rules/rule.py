"""A reminder rule as the planner applies it: the stored ReminderRule, or the defaults. Pure data, no I/O, so the
rules room owns it and the reminders room (which applies it) imports it from here, never the other way round."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    """A reminder rule as the planner applies it (the stored ReminderRule, or the defaults)."""

    steps_before: tuple[int, ...] = (7, 3, 1, 0)
    repeat_every_workdays: int = 3
    escalate_after_days: int = 5
    quiet_start: str = "22:00"
    quiet_end: str = "08:00"
    digest: bool = False


DEFAULT_RULE = Rule()


@dataclass(frozen=True, slots=True)
class PauseScope:
    """What a pause in force holds back: a whole plan, an item, a unit within the plan, or a unit on an item."""

    plan_id: int
    item_id: int | None
    unit_id: int | None
