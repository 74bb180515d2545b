"""The rows of the upcoming-deadlines view and of the overdue bulletin (逾期通报), built from the deadlines read from
the peers (pure: no I/O)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from services.notify_api.reminders.addressing import Due
from services.notify_api.reminders.deadlines import REPORT_TYPE_LABEL, Deadline, Duty, period_label
from services.notify_api.reminders.schemas import BulletinItemRow, LeaderRefRow, UnitDutyRow, UpcomingRow
from services.notify_api.reminders.steps import countdown


def units_of(units: tuple[Duty, ...]) -> list[UnitDutyRow]:
    return [{"unit_id": u.unit_id, "unit_name": u.unit_name, "role": u.role} for u in units]


def upcoming_row(deadline: Deadline, today: date) -> UpcomingRow:
    left = countdown(today, deadline.due_on)
    return {
        "kind": deadline.kind,
        "id": deadline.id,
        "plan_id": deadline.plan_id,
        "item_id": deadline.item_id,
        "item_key": deadline.item_key,
        "item_number": deadline.item_number,
        "item_title": deadline.item_title,
        "title": deadline.title,
        "period": deadline.period,
        "due_on": deadline.due_on,
        "units": units_of(deadline.units),
        "days_left": left.days,
        "workdays_left": left.workdays,
        "official_calendar": left.official_calendar,
        "items": [
            {
                "item_id": i.item_id,
                "item_key": i.item_key,
                "item_number": i.item_number,
                "item_title": i.item_title,
                "role": i.role,
                "period": i.period,
                "report_type": i.report_type,
            }
            for i in deadline.items
        ],
    }


def row_key(row: UpcomingRow) -> tuple[date, str, str, int]:
    return row["due_on"], row["kind"], row["period"] or "", row["id"]


def _bulletin_entry(deadline: Deadline, leaders: list[LeaderRefRow]) -> BulletinItemRow:
    return {
        "item_id": deadline.item_id,
        "item_key": deadline.item_key,
        "item_number": deadline.item_number,
        "item_title": deadline.item_title,
        "units": [],
        "deadlines": [],
        "lead_leaders": leaders,
        "days_overdue": 0,
    }


def per_item(deadline: Deadline) -> list[Deadline]:
    """A unit's report deadline as one deadline per item it lists (the bulletin is by item); others as they are."""
    return [
        deadline._replace(
            item_id=i.item_id,
            item_key=i.item_key,
            item_number=i.item_number,
            item_title=i.item_title,
            title=f"{period_label(i.period)}{REPORT_TYPE_LABEL.get(i.report_type, '报告')}",
            period=i.period,
            units=tuple(u._replace(role=i.role) for u in deadline.units),  # its role on this item, not the day's
            items=(i,),
        )
        for i in deadline.items
    ] or [deadline]


def bulletin_rows(red: list[Due], leaders: dict[int, list[LeaderRefRow]], day: date) -> list[BulletinItemRow]:
    """One row per item with a red deadline: its units and unmet deadlines, most overdue first."""
    entries: dict[int, BulletinItemRow] = {}
    units: dict[int, dict[int, UnitDutyRow]] = defaultdict(dict)
    for due, d in ((due_red, d) for due_red in red for d in per_item(due_red.deadline)):
        entry = entries.setdefault(d.item_id, _bulletin_entry(d, leaders.get(d.item_id, [])))
        unpaused = {u.unit_id for u in due.units}
        units[d.item_id].update((unit["unit_id"], unit) for unit in units_of(d.units) if unit["unit_id"] in unpaused)
        overdue = countdown(day, d.due_on)
        entry["deadlines"].append(
            {
                "kind": d.kind,
                "id": d.id,
                "title": d.title,
                "period": d.period,
                "due_on": d.due_on,
                "days_overdue": -overdue.days,
                "workdays_overdue": -overdue.workdays,
                "step": due.step.name,
            }
        )
    for item_id, entry in entries.items():
        entry["units"] = list(units[item_id].values())
        entry["days_overdue"] = max(x["days_overdue"] for x in entry["deadlines"])
    return sorted(entries.values(), key=lambda row: (-row["days_overdue"], row["item_id"]))
