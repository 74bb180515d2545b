"""What the oversight rules read: the plan from tasks_api (cached by its client), and the period as the plan's
rhythm and rules give it.

The plan is read from tasks_api before any database connection opens, so that no connection is held across a
peer call (services/common/peer_guard.py); the period view then reads only our own tables.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.contracts.plan_rows import PlanAssignment, PlanIndicator, PlanItem
from services.common.contracts.tasks import Group, ItemLink, Member, Plan, TasksClient
from services.common.db import Database
from services.common.driver_reads import Read, Rows
from services.reporting_api.oversight.schemas.rows import Grouping, ViewHeader
from services.reporting_api.oversight.shape import Owing, PlanShape, PlanShapes, derive
from services.reporting_api.periods.calendar import ScheduledPeriod
from services.reporting_api.periods.obligations import Rhythm
from services.reporting_api.periods.rhythm_reads import rhythm_from, rhythm_reads
from services.reporting_api.periods.schemas import PlanRulesRow
from services.reporting_api.periods.service import plan_rules, rhythm_of


@dataclass(frozen=True, slots=True)
class PlanData:
    """The plan as tasks_api answered it (its lists are the peer cache's: never changed), and that answer's ETag: a
    digest of it (None if tasks_api gave none), which the roll-up memo compares instead of the lists."""

    plan: Plan
    items: list[PlanItem]
    assignments: list[PlanAssignment]
    indicators: list[PlanIndicator]
    links: list[ItemLink]
    shape: PlanShape = field(compare=False)  # derived from the lists above: compared through them
    revision: str | None = None


@dataclass(frozen=True, slots=True)
class PeriodView:
    """The plan, the period asked about and the one whose report answers for it (2024-Q2 → 2024-H1) with its due
    date, the day we look from, the plan's rules and its rhythm (periods/obligations.py), and the items that owe the
    report answering for the period (kept with the plan's shape) and the others."""

    data: PlanData
    period: str
    owed: ScheduledPeriod
    today: date
    rules: PlanRulesRow
    rhythm: Rhythm
    owing: Owing

    @property
    def due_on(self) -> date:
        return self.owed.due_on

    def header(self) -> ViewHeader:
        return {
            "plan_id": self.data.plan.id,
            "period": self.period,
            "owed_period": self.owed.period.id,
            "report_type": self.owed.period.report_type.value,
            "due_on": self.due_on.isoformat(),
            "as_of": self.today.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class PlanOversight:
    """Everything a period's full oversight (oversight_of) reads from tasks_api: the plan and every grouping."""

    data: PlanData
    grouping: Grouping


async def load_plan(tasks: TasksClient, plan_id: int, shapes: PlanShapes | None = None) -> PlanData:
    """The plan, its items, responsibilities, indicators and links, in one read (404 for an unknown plan), with its
    shape: the one `shapes` keeps for this structure, else derived now."""
    revision, found = await tasks.plan_structure(plan_id)
    shape = derive(found) if shapes is None else shapes.of(plan_id, revision, found)
    return PlanData(found.plan, found.items, found.assignments, found.indicators, found.links, shape, revision)


async def load_grouping(tasks: TasksClient, plan_id: int, by: str) -> Grouping:
    """What a roll-up needs beyond the plan: units (by county), lead leaders and thematic groups (by group)."""
    found: Grouping = {}
    if by == "county":
        found["units"] = await tasks.units()
    if by == "group":
        found["item_leaders"], groups = await asyncio.gather(
            tasks.plan_item_leaders(plan_id), tasks.groups(plan_id, kind="thematic")
        )
        found["thematic"] = await _with_members(tasks, groups)
    return found


async def _with_members(tasks: TasksClient, groups: list[Group]) -> list[tuple[Group, list[Member]]]:
    members = await asyncio.gather(*(tasks.group_members(group.id) for group in groups))
    return list(zip(groups, members, strict=True))


async def load_plan_oversight(tasks: TasksClient, plan_id: int) -> PlanOversight:
    """The plan and every grouping (by county, by group), read from tasks_api before a connection opens."""
    data = await load_plan(tasks, plan_id)
    grouping = await load_grouping(tasks, plan_id, "county")
    grouping.update(await load_grouping(tasks, plan_id, "group"))
    return PlanOversight(data, grouping)


async def period_view(conn: AsyncConnection, data: PlanData, period: str, today: date) -> PeriodView:
    """The period of a plan already read from tasks_api, with the rhythm and rules from our own tables."""
    rules = await plan_rules(conn, data.plan.id)
    return _view(data, period, today, rules, await rhythm_of(conn, data.plan, rules))


async def read_period_view(
    db: Database, conn: AsyncConnection | None, data: PlanData, period: str, today: date, *more: Read
) -> tuple[PeriodView, list[Rows]]:
    """period_view's, from its three small reads (rhythm_reads) run one after the other, then the rows of `more`,
    read after them alike. On PostgreSQL each runs on a connection of the driver pool past SQLAlchemy, whose
    statement and row handling cost four times the database's answer for these few rows; on SQLite on `conn`."""
    found = [await db.driver_pool.start(conn, read).rows() for read in (*rhythm_reads(data.plan.id), *more)]
    rules, rhythm = rhythm_from(data.plan, *found[:3])
    return _view(data, period, today, rules, rhythm), found[3:]


def _view(data: PlanData, period: str, today: date, rules: PlanRulesRow, rhythm: Rhythm) -> PeriodView:
    owed = rhythm.owed_for(period)  # 422 for a period outside the plan
    return PeriodView(data, period, owed, today, rules, rhythm, data.shape.owing(rhythm, owed))
