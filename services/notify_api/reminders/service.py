"""What a unit has coming (upcoming deadlines) and the office's overdue bulletin (逾期通报)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from services.common.auth import Principal
from services.common.contracts.reporting import ReportingClient
from services.common.contracts.tasks import Item, TasksClient
from services.common.db import Database
from services.common.pagination import rows_after
from services.common.workdays import workdays_between
from services.notify_api.deliveries.models import Level
from services.notify_api.reminders.deadlines import (
    REPORT_TYPE_LABEL,
    Deadline,
    deadlines_between,
    item_titles,
    period_label,
)
from services.notify_api.reminders.planner import OVERDUE_HORIZON_DAYS, due_today
from services.notify_api.reminders.steps import countdown
from services.notify_api.rules.service import active_pauses, rule_book

BULLETIN_RULE = f"""\
The items whose notice on that date is red (红色督办单): a deadline unmet for `escalate_after_days` working days or
more (the plan's rule for its kind; default 5) — an unfinished item, an open milestone, an indicator target date, or a
report a unit has not submitted — and at most {OVERDUE_HORIZON_DAYS} days overdue. Computed with the dispatch's
rules and pauses, so it lists the same items the red notices went out for, whether or not anyone has a contact."""


def _units(deadline: Deadline) -> list[dict[str, Any]]:
    return [{"unit_id": u.unit_id, "unit_name": u.unit_name, "role": u.role} for u in deadline.units]


def upcoming_row(deadline: Deadline, items: dict[int, Item], today: date) -> dict[str, Any]:
    left = countdown(today, deadline.due_on)
    item = items.get(deadline.item_id)
    return {
        "kind": deadline.kind,
        "id": deadline.id,
        "plan_id": deadline.plan_id,
        "item_id": deadline.item_id,
        "item_key": deadline.item_key,
        "item_number": deadline.item_number,
        "item_title": item.title if item else deadline.title,
        "title": deadline.title,
        "period": deadline.period,
        "due_on": deadline.due_on,
        "units": _units(deadline),
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


def row_key(row: dict[str, Any]) -> tuple[date, str, str, int]:
    return row["due_on"], row["kind"], row["period"] or "", row["id"]


async def upcoming(
    tasks: TasksClient,
    reporting: ReportingClient,
    *,
    principal: Principal,
    unit_id: int | None,
    plan_id: int | None,
    days: int,
    today: date,
    after: tuple[Any, ...] | None,
    limit: int,
) -> dict[str, Any]:
    """Deadlines from today through `days` days on, with days left in calendar and in working days."""
    unit_id = principal.scoped_unit(unit_id)
    end = today + timedelta(days=days)
    deadlines = await deadlines_between(tasks, reporting, today, end, today=today, unit_id=unit_id, plan_id=plan_id)
    items = await item_titles(tasks, {d.plan_id for d in deadlines})
    rows = [upcoming_row(d, items, today) for d in deadlines]
    return {
        "as_of": today,
        "until": end,
        "unit_id": unit_id,
        "official_calendar": workdays_between(today, end)[1],
        "rows": rows_after(rows, None if after is None else tuple(after), limit, row_key),
    }


def _bulletin_entry(item: Item | None, deadline: Deadline) -> dict[str, Any]:
    return {
        "item_id": deadline.item_id,
        "item_key": deadline.item_key,
        "item_number": deadline.item_number,
        "item_title": item.title if item else deadline.title,
        "units": {},
        "deadlines": [],
    }


def per_item(deadline: Deadline) -> list[Deadline]:
    """A unit's report deadline as one deadline per item it lists (the bulletin is by item); others as they are."""
    return [
        replace(
            deadline,
            item_id=i.item_id,
            item_key=i.item_key,
            item_number=i.item_number,
            title=f"{period_label(i.period)}{REPORT_TYPE_LABEL.get(i.report_type, '报告')}",
            period=i.period,
            items=(i,),
        )
        for i in deadline.items
    ] or [deadline]


async def bulletin(
    db: Database, tasks: TasksClient, reporting: ReportingClient, *, plan_id: int, day: date
) -> dict[str, Any]:
    """Every item of the plan with a red notice as of `day`, most overdue first."""
    plan = await tasks.plan(plan_id)  # 404 for an unknown plan
    async with db.read() as conn:
        book, pauses = await rule_book(conn), await active_pauses(conn, day)
    deadlines = await deadlines_between(
        tasks,
        reporting,
        day - timedelta(days=OVERDUE_HORIZON_DAYS),
        day - timedelta(days=1),
        today=day,
        plan_id=plan_id,
    )
    red = [due for due in due_today(deadlines, book, pauses, day) if due.step.level is Level.RED]
    items = await item_titles(tasks, {plan_id}) if red else {}
    leaders = defaultdict(list)
    for leader in await tasks.plan_item_leaders(plan_id) if red else []:
        leaders[leader.item_id].append({"id": leader.leader_id, "name": leader.name})
    entries: dict[int, dict[str, Any]] = {}
    for due, d in ((due_red, d) for due_red in red for d in per_item(due_red.deadline)):
        entry = entries.setdefault(d.item_id, _bulletin_entry(items.get(d.item_id), d))
        entry["units"].update(
            {u.unit_id: {"unit_id": u.unit_id, "unit_name": u.unit_name, "role": u.role} for u in due.units}
        )
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
    rows = [
        {
            **e,
            "units": list(e["units"].values()),
            "lead_leaders": leaders.get(e["item_id"], []),
            "days_overdue": max(x["days_overdue"] for x in e["deadlines"]),
        }
        for e in entries.values()
    ]
    rows.sort(key=lambda row: (-row["days_overdue"], row["item_id"]))
    return {"plan_id": plan_id, "plan_title": plan.title, "date": day, "count": len(rows), "items": rows}
