"""The ledger (台账): one row per responsibility of the plan for a period, read in bounded batches.

The plan's items, responsibilities and indicators come from tasks_api through the typed client; the
reports, their latest review comment and their latest indicator values from reporting_api's own tables,
one batch of responsibilities at a time, so the rows are never all in memory at once. This is the ledger on SQLite;
on PostgreSQL the database writes the same rows from the plan's side spooled to disk (ledger/spool.py, sql.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import date
from sys import intern
from typing import NamedTuple

from services.common import clock
from services.common.contracts.tasks import AssignmentRow, IndicatorLabelRow, Item, Plan, TasksClient
from services.common.db import Database
from services.common.problems import NotFound, PayloadTooLarge
from services.reporting_api.ledger.cells import IndicatorLabel, local_time, values_text
from services.reporting_api.ledger.repository import (
    LedgerReport,
    batch_reports,
    evidence_names,
    latest_comments,
    latest_values,
)
from services.reporting_api.ledger.writers import Row
from services.reporting_api.oversight.compliance_rows import late_as_of, lateness
from services.reporting_api.periods.calendar import ScheduledPeriod, answering_ids
from services.reporting_api.periods.obligations import Rhythm
from services.reporting_api.periods.service import rhythm_of
from services.reporting_api.reports.models import ReportStatus

HEADERS = (
    "事项编号",
    "序号",
    "事项名称",
    "类型",
    "责任单位",
    "角色",
    "报送周期",
    "报送状态",
    "是否逾期",
    "逾期工作日数",
    "完成进度(%)",
    "自评状态",
    "进展情况",
    "存在问题",
    "下步计划",
    "最新指标值",
    "审核意见",
    "报送时间",
    "佐证材料",
)
WIDTHS = (10, 8, 40, 10, 24, 6, 10, 10, 8, 12, 10, 10, 60, 40, 40, 40, 40, 17, 40)
# Under Excel's 1,048,576 rows a sheet; a larger ledger is asked for per unit (unit_id) instead.
MAX_ROWS = 1_000_000
# Four queries a batch: 2,000 responsibilities keep a batch's rows small and the 100,000-row ledger at 200 queries.
BATCH_SIZE = 2_000

KINDS = {
    "goal": "目标",
    "section": "重点任务板块",
    "task": "重点任务",
    "platform": "重点支撑平台",
    "safeguard": "保障措施",
    "annex": "附件",
    "key_work": "重点工作",
    "special_action": "专项行动",
}
ROLES = {"lead": "牵头", "co": "配合"}
STATUSES: dict[str | None, str] = {  # by the report's status (a StrEnum value)
    None: "未报送",
    ReportStatus.DRAFT: "草稿",
    ReportStatus.SUBMITTED: "已报送",
    ReportStatus.ACCEPTED: "已通过",
    ReportStatus.RETURNED: "已退回",
}
SELF_STATUSES = {"on_track": "正常推进", "at_risk": "存在风险", "delayed": "滞后", "completed": "已完成"}

# The ledger's description in the contract (openapi/): a rewrap would change the published text (one line is wide).
LEDGER_RULE = f"""\
One row per responsibility (lead and co) of every item that owes the period's report, in plan order (item, then
lead before co), with that unit's report, if any. The report is the one answering for the period (as compliance
says: for 2024-Q2 the half-year summary 2024-H1, which 报送周期 shows). A report that reached the office is late (是否逾期) when
its first submission came after the due date; a pair with no submission yet is late once the due date has
passed, by the days since then. 最新指标值 is, per indicator, the latest value the report submitted in a
version the office did not return; 审核意见 is the comment of the latest review; 佐证材料 names the report's evidence
files (GET /v1/reports/{{report_id}}/evidence). At most {MAX_ROWS:,} rows
(413 beyond that: export per unit with unit_id). A unit token gets only its own unit's rows."""  # noqa: E501


# The plan's side of a ledger is held for the whole export: 100,000 responsibilities, 50,000 items and 50,000
# indicators for the province-wide plan. Held as the peer's pydantic records they grew the service by ~280 MB;
# so each record is validated against the contract as it arrives (an off-contract answer is still a 503), then
# only the cells the ledger writes are kept, as tuples whose repeated strings (unit names, roles, kinds,
# measures) are one interned object each: ~50 MB.


class Duty(NamedTuple):
    """One responsibility, one row of the ledger. The fields are in plan order, so duties sort as plain tuples."""

    item_id: int
    co: bool  # lead (False) before co
    id: int
    unit_id: int
    unit_name: str
    role: str  # as written in the ledger: 牵头, 配合


class ItemCells(NamedTuple):
    key: str
    number: str
    title: str
    kind: str  # as written in the ledger: 重点任务, …


NO_ITEM = ItemCells("", "", "", "")  # an item tasks_api no longer lists: its cells stay blank


@dataclass(frozen=True, slots=True)
class Ledger:
    """What a ledger export needs before its first row: checked up front, so refusals are problem documents."""

    plan: Plan
    period: ScheduledPeriod  # the period whose report answers for the one asked (2024-Q2 → 2024-H1)
    duties: Sequence[Duty]  # in plan order
    items: dict[int, ItemCells]
    indicators: dict[int, IndicatorLabel]
    today: date

    @property
    def file_names(self) -> tuple[str, str]:
        return file_names(self.plan, self.period)


def file_names(plan: Plan, period: ScheduledPeriod) -> tuple[str, str]:
    """(ASCII name, Chinese name) of an export, without extension."""
    return f"ledger-{plan.key}-{period.period.id}", f"{plan.title}台账-{period.period.id}"


def duty_of(assignment: AssignmentRow) -> Duty:
    role = assignment["role"]
    return Duty(
        assignment["item_id"],
        role != "lead",
        assignment["id"],
        assignment["unit_id"],
        intern(assignment["unit_name"]),
        intern(ROLES.get(role, role)),
    )


def item_cells(item: Item) -> ItemCells:
    return ItemCells(item.key, item.number, item.title, intern(KINDS.get(item.kind, item.kind)))


def indicator_label(indicator: IndicatorLabelRow) -> IndicatorLabel:
    measure = indicator["measure"]
    return IndicatorLabel(indicator["name"], intern(f" {measure}" if measure else ""))


async def open_ledger(db: Database, tasks: TasksClient, *, plan_id: int, period: str, unit_id: int | None) -> Ledger:
    """The plan data of an export (given unit_id, that unit's rows only); 404 unknown plan, 422 a period the plan
    does not have, 413 too many rows."""
    plan, rhythm = await plan_rhythm(db, tasks, plan_id)
    owed = rhythm.owed_for(period)
    duties, items, indicators = await read_plan_side(tasks, plan_id, unit_id, owes=lambda item: rhythm.owes(item, owed))
    return Ledger(plan, owed, duties, items, indicators, clock.business_today())


async def plan_rhythm(db: Database, tasks: TasksClient, plan_id: int) -> tuple[Plan, Rhythm]:
    """The plan and its calendar and cadences; 404 unknown plan."""
    try:
        plan = await tasks.plan(plan_id)
    except NotFound as exc:
        raise NotFound(f"Plan {plan_id} does not exist.") from exc
    async with db.read() as conn:  # the plan was read first: no connection is held across a peer call
        return plan, await rhythm_of(conn, plan)


def refuse_too_many(rows: int) -> None:
    """413 for a ledger of more than MAX_ROWS responsibilities."""
    if rows > MAX_ROWS:
        raise PayloadTooLarge(
            f"The ledger would have {rows:,} rows, more than {MAX_ROWS:,}; export it per unit with unit_id."
        )


async def side_by_side(*readers: Coroutine[None, None, None]) -> None:
    """Run the readers of a plan's three lists at once: each page of one is validated and kept while tasks_api
    answers another, where read one list after the other the ledger waited for each in turn (the province plan's
    CSV: 4.2 s, of which reporting_api's own work, 1 s, was all spent between pages). The first failure (a 404, a
    413) is raised as itself, the other readers cancelled."""
    try:
        async with asyncio.TaskGroup() as group:
            for reader in readers:
                group.create_task(reader)
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None


async def read_plan_side(
    tasks: TasksClient, plan_id: int, unit_id: int | None, owes: Callable[[Item], bool]
) -> tuple[list[Duty], dict[int, ItemCells], dict[int, IndicatorLabel]]:
    """The duties of the items that owe the report (`owes`) in plan order (only the unit's, given unit_id), the
    items and the indicators, the three lists read side by side; 413 too many rows.

    Read one record at a time past the peer cache: a province-wide plan's raw pages would otherwise stay in memory."""
    duties: list[Duty] = []
    items: dict[int, ItemCells] = {}
    owing: set[int] = set()
    indicators: dict[int, IndicatorLabel] = {}

    async def read_duties() -> None:
        async for a in tasks.each_plan_assignment(plan_id):
            if unit_id in (None, a["unit_id"]):
                duties.append(duty_of(a))
        refuse_too_many(len(duties))

    async def read_items() -> None:
        async for item in tasks.each_plan_item(plan_id):
            items[item.id] = item_cells(item)
            if owes(item):
                owing.add(item.id)

    async def read_indicators() -> None:
        indicators.update({i["id"]: indicator_label(i) async for i in tasks.each_plan_indicator_label(plan_id)})

    await side_by_side(read_duties(), read_items(), read_indicators())
    return sorted(duty for duty in duties if duty.item_id in owing), items, indicators


async def ledger_rows(db: Database, ledger: Ledger) -> AsyncIterator[list[Row]]:
    """The ledger's rows in batches of BATCH_SIZE, each batch costing four queries."""
    unreported = late_as_of(ledger.period.due_on, ledger.today)  # every pair not reported alike
    async with db.read() as conn:
        for start in range(0, len(ledger.duties), BATCH_SIZE):
            batch = ledger.duties[start : start + BATCH_SIZE]
            units, answering = {d.unit_id for d in batch}, answering_ids(ledger.period.period)
            found = await batch_reports(conn, ledger.plan.id, answering, {d.item_id for d in batch}, units)
            ids = [report["id"] for report in found.values()]
            comments = await latest_comments(conn, ids)
            values = await latest_values(conn, ids)
            files = await evidence_names(conn, ids)
            yield [
                _row(ledger, duty, found.get((duty.item_id, duty.unit_id)), unreported, comments, values, files)
                for duty in batch
            ]


def _row(
    ledger: Ledger,
    duty: Duty,
    report: LedgerReport | None,
    unreported: tuple[bool, int],
    comments: dict[int, str | None],
    values: dict[int, dict[int, tuple[float, date]]],
    files: dict[int, str],
) -> Row:
    late, days_late = lateness(report, unreported)
    plan_side = (
        *ledger.items.get(duty.item_id, NO_ITEM),
        duty.unit_name,
        duty.role,
        ledger.period.period.id,
        STATUSES[report["status"] if report else None],
        "是" if late else "否",
        days_late,
    )
    if report is None:
        return (*plan_side, None, "", "", "", "", "", "", "", "")
    return (
        *plan_side,
        report["percent_complete"],
        SELF_STATUSES.get(report["self_status"], report["self_status"]),
        report["progress"],
        report["problems"],
        report["next_steps"],
        values_text(ledger.indicators, values.get(report["id"], {})),
        comments.get(report["id"]) or "",
        local_time(report["submitted_at"]),
        files.get(report["id"], ""),
    )
