"""The reports a unit owes, grouped by (unit, due date): what a unit sees as one duty on one day.

The reader (`deadlines._report_deadlines`) yields report deadlines at whatever grain reporting_api's cadence has
(one per responsibility and period, or one per item and due date); a unit still files everything due on a day
together, so the calendar shows one event per (unit, due date) and lists the items, never one per period kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from services.notify_api.reminders.deadlines import Deadline, Duty, report_kind

REPORT = "report"


@dataclass(frozen=True, slots=True)
class ReportDay:
    """Everything one unit must report on one due date."""

    unit_id: int
    unit_name: str
    due_on: date
    deadlines: tuple[Deadline, ...]  # the reader's report deadlines of this unit and day, in the reader's order

    @property
    def titles(self) -> tuple[str, ...]:
        """The distinct reports due (e.g. 2025年第三季度进展报告), in first-seen order."""
        return tuple(dict.fromkeys(d.title for d in self.deadlines))

    @property
    def item_ids(self) -> tuple[int, ...]:
        """The distinct items to report on, in first-seen order."""
        return tuple(dict.fromkeys(d.item_id for d in self.deadlines))

    def titles_of(self, item_id: int) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d.title for d in self.deadlines if d.item_id == item_id))

    def role_of(self, item_id: int) -> str:
        """lead, if the unit leads the item in any of its deadlines, else co."""
        roles = {u.role for d in self.deadlines if d.item_id == item_id for u in d.units if u.unit_id == self.unit_id}
        return "lead" if "lead" in roles else next(iter(roles), "")


def per_item(deadline: Deadline) -> list[Deadline]:
    """A report deadline listing its items (one per unit and due date) as one deadline per item, each titled with
    the report that item owes, so a day lists its items and the kinds of report alike at either grain."""
    if not deadline.items:
        return [deadline]
    return [
        deadline._replace(
            item_id=item.item_id,
            item_key=item.item_key,
            item_number=item.item_number,
            item_title=item.item_title,
            title=report_kind(item),
            units=tuple(Duty(u.unit_id, u.unit_name, item.role) for u in deadline.units),
            items=(),
        )
        for item in deadline.items
    ]


def report_days(deadlines: Iterable[Deadline]) -> list[ReportDay]:
    """The report deadlines among `deadlines`, one ReportDay per (unit, due date), by due date then unit."""
    groups: dict[tuple[int, date], list[Deadline]] = {}
    names: dict[int, str] = {}
    for deadline in (one for found in deadlines if found.kind == REPORT for one in per_item(found)):
        for duty in deadline.units:
            groups.setdefault((duty.unit_id, deadline.due_on), []).append(deadline)
            names[duty.unit_id] = duty.unit_name
    return [
        ReportDay(unit_id, names[unit_id], due_on, tuple(found))
        for (unit_id, due_on), found in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
