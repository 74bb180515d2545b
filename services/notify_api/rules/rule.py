"""A reminder rule as the planner applies it: the stored ReminderRule, or the defaults. Pure data, no I/O, so the
rules room owns it and the reminders room (which applies it) imports it from here, never the other way round."""

from __future__ import annotations

from collections.abc import Iterable
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


@dataclass(frozen=True, slots=True)
class PauseIndex:
    """The active pauses as the (plan, item, unit) keys they cover, None for "every": whether a pause covers a
    deadline is four set lookups instead of a scan of the pauses for each item of each deadline (a province's
    dispatch asks half a million times, nearly always with no pause at all)."""

    keys: frozenset[tuple[int, int | None, int | None]]

    @classmethod
    def of(cls, pauses: Iterable[PauseScope]) -> PauseIndex:
        return cls(frozenset((p.plan_id, p.item_id, p.unit_id) for p in pauses))

    def covers(self, plan_id: int, item_id: int | None, unit_id: int | None = None) -> bool:
        """Whether a pause covers the plan, the item, the unit (within the plan), or the unit on the item."""
        keys = self.keys
        return bool(keys) and (
            (plan_id, None, None) in keys
            or (plan_id, item_id, None) in keys
            or (unit_id is not None and ((plan_id, None, unit_id) in keys or (plan_id, item_id, unit_id) in keys))
        )
