"""Deadlines from both sources, in one shape: tasks_api's calendar (items, milestones, indicator targets) and
reporting_api's obligations (the reports a unit has not submitted: 催办 only those) and open leader instructions
(领导批示) to answer by a date. A unit's reports due on one day are one deadline listing its items
(一季一梳理、半年一小结、一年一汇总: one notice per unit and due date)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import date
from functools import lru_cache
from itertools import chain
from operator import attrgetter
from typing import NamedTuple, TypeVar

from services.common.clock import within_supported_years
from services.common.contracts.columns import Columns
from services.common.contracts.plan_obligations import Owed, plan_obligations
from services.common.contracts.reporting import InstructionDutyRow, ReportingClient
from services.common.contracts.tasks import DeadlineRow, Plan, TasksClient

PLANS_IN_FLIGHT = 3  # plans whose obligations are read at once
Taken = TypeVar("Taken")
Value = TypeVar("Value", bound=Hashable)
Take = Callable[[list["Deadline"]], Awaitable[Taken]]  # what a reader makes of one source's deadlines, once read
ROLE_LABEL = {"lead": "牵头", "co": "配合"}
_QUARTERS = {"Q1": "第一季度", "Q2": "第二季度", "Q3": "第三季度", "Q4": "第四季度", "H1": "上半年", "H2": "下半年"}
REPORT_TYPE_LABEL = {
    "monthly": "月度进展报告",
    "quarterly": "季度梳理报告",
    "half_year": "半年小结",
    "annual": "年度汇总",
}


# A dispatch's values (these, and the steps, notices, addresses and rows built from them) are NamedTuples, not
# frozen dataclasses: a province's day builds 1.5 M of them, and a frozen dataclass sets each field through
# object.__setattr__ (seven fields: 0.71 µs against 0.24 µs): grouping and addressing a captured day took 1.74 s
# with them, 1.27 s with these. Immutable either way.
class DeadlineItem(NamedTuple):
    """One item of a unit's report deadline: the report it owes on it."""

    item_id: int
    item_key: str
    item_number: str
    item_title: str
    role: str
    period: str
    report_type: str


class Duty(NamedTuple):
    """A unit responsible for a deadline, and how (lead 牵头 or co 配合)."""

    unit_id: int
    unit_name: str
    role: str


def deadline_ref(kind: str, plan_id: int, deadline_id: int) -> str:
    """A deadline's name in exactly-once keys: a unit's reports of a plan due on one day are one deadline (its id
    the unit's), whatever their periods."""
    return f"{kind}:{plan_id}:{deadline_id}" if kind == "report" else f"{kind}:{deadline_id}"


class Deadline(NamedTuple):
    """Something a unit must have done by a day."""

    kind: str  # item, milestone, indicator or report
    id: int  # the item, milestone or indicator id; for a report, the responsibility id
    plan_id: int
    item_id: int
    item_key: str
    item_number: str
    item_title: str  # the title of the item (a report deadline: of its first item)
    title: str  # what is due: the item's or milestone's title, the indicator's name, the report
    due_on: date
    units: tuple[Duty, ...]
    period: str | None = None
    items: tuple[DeadlineItem, ...] = ()  # a report deadline: every item the unit owes a report on that day

    @property
    def item_ids(self) -> tuple[int, ...]:
        """The items the deadline is about: a report deadline's listed items, else its one item."""
        return tuple(i.item_id for i in self.items) or (self.item_id,)

    def numbered(self, number: str) -> bool:
        """Whether the deadline is about an item numbered so (a report deadline: any of its items)."""
        return number in ({i.item_number for i in self.items} or {self.item_number})

    @property
    def ref(self) -> str:
        """Names the deadline in exactly-once keys (with its due date)."""
        return deadline_ref(self.kind, self.plan_id, self.id)

    @property
    def sort_key(self) -> tuple[date, str, str, int]:
        return self.due_on, self.kind, self.period or "", self.id


def period_label(period: str) -> str:
    """2024-Q1 → 2024年第一季度; 2024-H2 → 2024年下半年; 2024-M03 → 2024年3月; 2024 → 2024年度."""
    year, _, part = period.partition("-")
    if part.startswith("M"):
        return f"{year}年{int(part[1:])}月"
    return f"{year}年{_QUARTERS[part]}" if part else f"{year}年度"


def _from_tasks(row: DeadlineRow) -> Deadline:
    return Deadline(
        row["kind"],
        row["id"],
        row["plan_id"],
        row["item_id"],
        row["item_key"],
        row["item_number"],
        row["item_title"],
        row["title"],
        row["due_on"],
        tuple(Duty(u["unit_id"], u["unit_name"], u["role"]) for u in row["units"]),
    )


async def active_plans(tasks: TasksClient) -> list[Plan]:
    """Plans whose reports are still expected (TasksClient has no plan list yet; the rows are its Plan)."""
    rows = await tasks.http.get_all("/v1/plans")
    return [plan for plan in map(Plan.model_validate, rows) if plan.status == "active"]


@lru_cache(maxsize=1024)  # a dispatch names the same few periods and report types for hundreds of thousands of items
def report_kind_of(period: str, report_type: str) -> str:
    """The report owed for a period: 2024年上半年半年小结."""
    return f"{period_label(period)}{REPORT_TYPE_LABEL.get(report_type, '报告')}"


def report_kind(item: DeadlineItem) -> str:
    """The report an item owes: 2024年上半年半年小结."""
    return report_kind_of(item.period, item.report_type)


def report_title(items: tuple[DeadlineItem, ...]) -> str:
    """What a unit must file that day: 2024年上半年半年小结（3项）; the kinds joined when the items differ."""
    if len(items) == 1:  # most of a day's deadlines (a province's: 109,156 for 200,000 reports owed)
        return f"{report_kind_of(items[0].period, items[0].report_type)}（1项）"
    kinds = dict.fromkeys((i.period, i.report_type) for i in items)
    return f"{'、'.join(report_kind_of(*kind) for kind in kinds)}（{len(items)}项）"


def shared(values: Sequence[Value]) -> list[Value]:
    """`values` with one object for each distinct value (the first given): a province's day holds 200,000 items of
    a handful of periods, roles, report types and due dates, and a dispatch keeps them to its end (in C loops)."""
    first: dict[Value, Value] = {}
    return list(map(first.setdefault, values, values))


def _deadline_items(owed: Columns[Owed]) -> list[DeadlineItem]:
    """Each obligation as the item of a deadline (a province's day: 200,000, made in C loops from the columns)."""
    texts = [[text or "" for text in owed.column(name)] for name in ("item_key", "item_number", "item_title")]
    repeated = [shared(owed.column(name)) for name in ("role", "period", "report_type")]
    return list(map(DeadlineItem, owed.ints("item_id"), *texts, *repeated))


def unit_report_deadline(
    plan_id: int, due_on: date, unit_id: int, unit_name: str, items: tuple[DeadlineItem, ...]
) -> Deadline:
    """One unit's reports due on one day, as one deadline listing its items (in item order). Made for each of a
    province's ~110,000 a day, most listing one item: no generator where one item needs none."""
    first = items[0]
    role = "lead" if len(items) > 1 and any(i.role == "lead" for i in items) else first.role
    return Deadline(
        "report", unit_id, plan_id, first.item_id, first.item_key, first.item_number, first.item_title,
        report_title(items), due_on, (Duty(unit_id, unit_name, role),), first.period, items,
    )  # fmt: skip


def unit_report_deadline_of(deadline: Deadline, items: tuple[DeadlineItem, ...]) -> Deadline:
    """The same unit's report deadline listing only `items` (some were paused)."""
    first = items[0]
    return deadline._replace(
        item_id=first.item_id,
        item_key=first.item_key,
        item_number=first.item_number,
        item_title=first.item_title,
        title=report_title(items),
        items=items,
    )


async def _report_deadlines(
    reporting: ReportingClient, plan_id: int, start: date, end: date, *, today: date, unit_id: int | None
) -> list[Deadline]:
    # One read of the plan's obligations in the window (reporting_api computes them from the plan once).
    owed = await plan_obligations(reporting, plan_id, start, end, as_of=today, unit_id=unit_id, pending=True)
    items, units = _deadline_items(owed), owed.ints("unit_id")
    by_unit_day: dict[tuple[date, int], list[int]] = defaultdict(list)
    for at, unit_day in enumerate(zip(shared(owed.column("due_on")), units, strict=True)):
        by_unit_day[unit_day].append(at)
    item_ids, ids, names = owed.ints("item_id"), owed.ints("responsibility_id"), shared(owed.column("unit_name"))
    found = []
    for (due_on, unit), rows in by_unit_day.items():
        if len(rows) > 1:  # in item order
            rows.sort(key=lambda at: (item_ids[at], ids[at]))
        found.append(unit_report_deadline(plan_id, due_on, unit, names[rows[0]], tuple(map(items.__getitem__, rows))))
    return found


def _from_instruction(row: InstructionDutyRow) -> Deadline:
    """An open instruction's answer (落实反馈) as its lead unit's deadline; titled with who wrote it."""
    return Deadline(
        "instruction",
        row["id"],
        row["plan_id"],
        row["item_id"],
        "",
        row["item_number"],
        row["item_title"],
        f"{row['author_title']}{row['author_name']}批示",
        row["answer_by"],
        (Duty(row["lead_unit_id"], row["lead_unit_name"], "lead"),),
    )


async def instruction_deadlines(
    reporting: ReportingClient, start: date, end: date, *, unit_id: int | None = None, plan_id: int | None = None
) -> list[Deadline]:
    """The open instructions to answer in [start, end] (an answered or settled one reminds nobody)."""
    rows = await reporting.instruction_duties(start, end, unit_id=unit_id, plan_id=plan_id)
    return [_from_instruction(row) for row in rows]


async def each_source(
    tasks: TasksClient,
    reporting: ReportingClient,
    start: date,
    end: date,
    *,
    today: date,
    take: Take[Taken],
    unit_id: int | None = None,
    plan_id: int | None = None,
) -> list[Taken]:
    """`take` of the deadlines in [start, end] of each source as soon as they are read (tasks_api's calendar, each
    plan's reports not submitted as of `today`, the open instructions), its results in that order: a dispatch plans
    what one source owes while the peers still compute the next (a province's day read for 2.5 s with this process
    idle half of it)."""
    start, end = within_supported_years(start), within_supported_years(end)  # what a peer accepts
    if end < start:  # a window wholly outside them holds nothing
        return []
    # Each plan's read is mostly reporting_api's own work and its reads: a few in flight keep its process, its
    # database and this one busy at once, and the bound keeps a province of plans from piling onto the peer.
    gate = asyncio.Semaphore(PLANS_IN_FLIGHT)

    async def calendar() -> Taken:
        rows = await tasks.deadlines(start, end, unit_id=unit_id, plan_id=plan_id)
        return await take([_from_tasks(row) for row in rows])

    async def one_plan(pid: int) -> Taken:
        async with gate:
            found = await _report_deadlines(reporting, pid, start, end, today=today, unit_id=unit_id)
        return await take(found)  # the gate let go: the next plan is read meanwhile

    async def reports() -> list[Taken]:
        plan_ids = [plan_id] if plan_id is not None else [plan.id for plan in await active_plans(tasks)]
        return list(await asyncio.gather(*map(one_plan, plan_ids)))

    async def instructions() -> Taken:
        return await take(await instruction_deadlines(reporting, start, end, unit_id=unit_id, plan_id=plan_id))

    first, reported, last = await asyncio.gather(calendar(), reports(), instructions())
    return [first, *reported, last]


async def _as_read(deadlines: list[Deadline]) -> list[Deadline]:
    return deadlines


async def deadlines_between(
    tasks: TasksClient,
    reporting: ReportingClient,
    start: date,
    end: date,
    *,
    today: date,
    unit_id: int | None = None,
    plan_id: int | None = None,
) -> list[Deadline]:
    """Every deadline in [start, end] from both sources, in (due_on, kind, period, id) order."""
    found = await each_source(
        tasks, reporting, start, end, today=today, take=_as_read, unit_id=unit_id, plan_id=plan_id
    )
    return sorted(chain.from_iterable(found), key=attrgetter("sort_key"))
