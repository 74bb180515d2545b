"""The targets' SQL: indicators, milestones and lead leaders, read and written as typed rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict, cast

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import Records
from services.common.tables import table_of
from services.tasks_api.db import change_log
from services.tasks_api.items.repository import first_of_plan, item_leaders, items
from services.tasks_api.people.repository import leaders
from services.tasks_api.targets.models import Indicator, Milestone, indicator_index

indicators, milestones = table_of(Indicator), table_of(Milestone)
milestone_records: Records[MilestoneRow] = Records(milestones, "milestone", change_log)
item_leader_records: Records[ItemLeaderRow] = Records(item_leaders, "item_leader", change_log)


class IndicatorRow(TypedDict):
    """An indicator as stored (yearly targets keyed by the year as text: JSON keys are strings)."""

    id: int
    item_id: int
    key: str
    name: str
    measure: str
    baseline: float | None
    target: float
    comparison: str
    target_date: date
    yearly_targets: dict[str, float] | None
    version: int
    created_at: datetime
    updated_at: datetime


class MilestoneRow(TypedDict):
    id: int
    item_id: int
    title: str
    due_on: date
    original_due_on: date | None
    done_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class ItemLeaderRow(TypedDict):
    """A lead leader of an item: the link's id, the leader and its printed position."""

    id: int
    leader_id: int
    name: str
    title: str | None
    position: int


class PlanItemLeaderRow(ItemLeaderRow):
    item_id: int


indicator_records: Records[IndicatorRow] = Records(indicators, "indicator", change_log, indexed=indicator_index)

LEADER = select(
    item_leaders.c.id, item_leaders.c.leader_id, leaders.c.name, leaders.c.title, item_leaders.c.position
).join(leaders, leaders.c.id == item_leaders.c.leader_id)


async def item_leader(conn: AsyncConnection, item_id: int, leader_id: int) -> ItemLeaderRow | None:
    where = (item_leaders.c.item_id == item_id, item_leaders.c.leader_id == leader_id)
    row = (await conn.execute(LEADER.where(*where))).mappings().first()
    return cast(ItemLeaderRow, dict(row)) if row else None


async def item_leader_page(
    conn: AsyncConnection, *, item_id: int, after: tuple[int, int] | None, limit: int
) -> list[ItemLeaderRow]:
    """The lead leaders of an item in printed order, keyed by (position, leader_id)."""
    query = (
        LEADER.where(item_leaders.c.item_id == item_id)
        .order_by(item_leaders.c.position, item_leaders.c.leader_id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(tuple_(item_leaders.c.position, item_leaders.c.leader_id) > tuple_(*after))
    return [cast(ItemLeaderRow, dict(r)) for r in (await conn.execute(query)).mappings()]


async def plan_item_leader_page(
    conn: AsyncConnection, *, plan_id: int, after_id: int | None, limit: int
) -> list[PlanItemLeaderRow]:
    """Every (item, lead leader) pair of the plan, keyed by the pair's id."""
    query = (
        LEADER.add_columns(item_leaders.c.item_id)
        .join(items, items.c.id == item_leaders.c.item_id)
        .where(items.c.plan_id == plan_id)
        .order_by(item_leaders.c.id)
        .limit(limit + 1)
    )
    if after_id is not None:
        query = query.where(item_leaders.c.id > after_id)
    else:
        query = query.where(item_leaders.c.id >= first_of_plan(item_leaders, plan_id))
    return [cast(PlanItemLeaderRow, dict(r)) for r in (await conn.execute(query)).mappings()]
