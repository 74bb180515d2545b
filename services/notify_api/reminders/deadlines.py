"""Deadlines from both sources, in one shape: tasks_api's calendar (items, milestones, indicator targets) and
reporting_api's periods × compliance (a report due from a unit that has not reported: 催办 only those)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

from services.common.contracts.reporting import Period, ReportingClient
from services.common.contracts.tasks import Deadline as TasksDeadline
from services.common.contracts.tasks import Item, Plan, TasksClient

ROLE_LABEL = {"lead": "牵头", "co": "配合"}
_QUARTERS = {"Q1": "第一季度", "Q2": "第二季度", "Q3": "第三季度", "Q4": "第四季度", "H1": "上半年", "H2": "下半年"}


@dataclass(frozen=True, slots=True)
class Duty:
    """A unit responsible for a deadline, and how (lead 牵头 or co 配合)."""

    unit_id: int
    unit_name: str
    role: str


@dataclass(frozen=True, slots=True)
class Deadline:
    """Something a unit must have done by a day."""

    kind: str                # item, milestone, indicator or report
    id: int                  # the item, milestone or indicator id; for a report, the responsibility id
    plan_id: int
    item_id: int
    item_key: str
    item_number: str
    title: str               # what is due: the item's or milestone's title, the indicator's name, the report
    due_on: date
    units: tuple[Duty, ...]
    period: str | None = None

    @property
    def ref(self) -> str:
        """Names the deadline in exactly-once keys (a report's periods may share a due date)."""
        return f"{self.kind}:{self.period}:{self.id}" if self.period else f"{self.kind}:{self.id}"

    @property
    def sort_key(self) -> tuple[date, str, str, int]:
        return self.due_on, self.kind, self.period or "", self.id


def period_label(period: str) -> str:
    """2024-Q1 → 2024年第一季度; 2024-H2 → 2024年下半年; 2024 → 2024年度."""
    year, _, part = period.partition("-")
    return f"{year}年{_QUARTERS[part]}" if part else f"{year}年度"


def _from_tasks(row: TasksDeadline) -> Deadline:
    return Deadline(row.kind, row.id, row.plan_id, row.item_id, row.item_key, row.item_number, row.title, row.due_on,
                    tuple(Duty(u.unit_id, u.unit_name, u.role) for u in row.units))


async def active_plans(tasks: TasksClient) -> list[Plan]:
    """Plans whose reports are still expected (TasksClient has no plan list yet; the rows are its Plan)."""
    rows = await tasks.http.get_all("/v1/plans")
    return [plan for plan in map(Plan.model_validate, rows) if plan.status == "active"]


async def _report_deadlines(reporting: ReportingClient, plan_id: int, periods: list[Period], *, today: date,
                            unit_id: int | None) -> list[Deadline]:
    # One period after the other: reporting_api computes each from the whole plan, and asked for all at once it
    # would read the plan from tasks_api once per period instead of reusing it.
    views = [await reporting.compliance(plan_id, p.id, as_of=today, unit_id=unit_id) for p in periods]
    return [Deadline("report", pair.responsibility_id, plan_id, pair.item_id, pair.item_key or "",
                     pair.item_number or "", f"{period_label(view.period)}进展报告", view.due_on,
                     (Duty(pair.unit_id, pair.unit_name, pair.role),), view.period)
            for view in views for pair in view.data if not pair.reported]


async def report_deadlines(tasks: TasksClient, reporting: ReportingClient, start: date, end: date, *, today: date,
                           unit_id: int | None = None, plan_id: int | None = None) -> list[Deadline]:
    """Reports due in [start, end] that a unit has not submitted as of `today`."""
    plan_ids = [plan_id] if plan_id is not None else [plan.id for plan in await active_plans(tasks)]
    found: list[Deadline] = []
    for pid in plan_ids:
        due = [p for p in await reporting.periods(pid) if start <= p.due_on <= end]
        found += await _report_deadlines(reporting, pid, due, today=today, unit_id=unit_id)
    return found


async def deadlines_between(tasks: TasksClient, reporting: ReportingClient, start: date, end: date, *,
                            today: date, unit_id: int | None = None, plan_id: int | None = None) -> list[Deadline]:
    """Every deadline in [start, end] from both sources, in (due_on, kind, period, id) order."""
    rows, reports = await asyncio.gather(
        tasks.deadlines(start, end, unit_id=unit_id, plan_id=plan_id),
        report_deadlines(tasks, reporting, start, end, today=today, unit_id=unit_id, plan_id=plan_id))
    found = [_from_tasks(row) for row in rows] + reports
    return sorted(found, key=lambda d: d.sort_key)


async def item_titles(tasks: TasksClient, plan_ids: set[int]) -> dict[int, Item]:
    """The items of these plans by id (the calendar names milestones and indicators, not their items)."""
    plans = await asyncio.gather(*(tasks.plan_items(pid) for pid in sorted(plan_ids)))
    return {item.id: item for items in plans for item in items}
