"""A reminder rule as the planner applies it: the stored ReminderRule, or the defaults. Pure data, no I/O, so the
rules room owns it and the reminders room (which applies it) imports it from here, never the other way round."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Rule:
    """A reminder rule as the planner applies it (the stored ReminderRule, or the defaults)."""

    steps_before: tuple[int, ...] = (7, 3, 1, 0)
    repeat_every_workdays: int = 3
    escalate_after_days: int = 5
    quiet_start: str = "22:00"
    quiet_end: str = "08:00"
    digest: bool = False

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Rule:
        return cls(
            tuple(sorted(set(row["steps_before"]), reverse=True)),
            row["repeat_every_workdays"],
            row["escalate_after_days"],
            row["quiet_start"],
            row["quiet_end"],
            bool(row["digest"]),
        )


DEFAULT_RULE = Rule()
