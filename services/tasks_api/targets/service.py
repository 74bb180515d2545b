"""What an item is measured by: its indicators (指标), its milestones (节点) and its lead leaders (牵头领导)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal
from services.common.db import Database
from services.common.problems import Conflict, Forbidden, NotFound, Unprocessable
from services.tasks_api.assignments.service import require_duty
from services.tasks_api.items.repository import item_leaders, item_records, items, leaders
from services.tasks_api.tables import plan_records
from services.tasks_api.targets import repository
from services.tasks_api.targets.models import Comparison
from services.tasks_api.targets.repository import (
    IndicatorRow,
    ItemLeaderRow,
    MilestoneRow,
    PlanItemLeaderRow,
    indicator_records,
    item_leader_records,
    milestone_records,
)

# What the deadlines room reads of this one (re-exported): the tables and the milestones' records.
from services.tasks_api.targets.repository import indicators as indicators
from services.tasks_api.targets.repository import milestones as milestones
from services.tasks_api.targets.schemas import (
    IndicatorCreate,
    IndicatorUpdate,
    ItemLeaderCreate,
    MilestoneCreate,
    MilestoneUpdate,
)

# -- indicators -------------------------------------------------------------------------------------


def _store_indicator_values(values: dict[str, Any]) -> None:
    """Values as stored, in place: JSON keys are strings, so the years are too (as the plan import writes them)."""
    if values.get("yearly_targets"):
        values["yearly_targets"] = {str(year): target for year, target in values["yearly_targets"].items()}
    if values.get("comparison") is not None:
        values["comparison"] = Comparison(values["comparison"]).value


async def list_indicators(db: Database, *, item_id: int, after_id: int | None, limit: int) -> list[IndicatorRow]:
    async with db.read() as conn:
        await item_records.get(conn, item_id)
        where = [indicators.c.item_id == item_id]
        return await indicator_records.page(conn, where=where, after_id=after_id, limit=limit)


async def get_indicator(db: Database, *, indicator_id: int) -> IndicatorRow:
    async with db.read() as conn:
        return await indicator_records.get(conn, indicator_id)


async def create_indicator(db: Database, *, item_id: int, data: IndicatorCreate, actor: Principal) -> IndicatorRow:
    async with db.transaction() as conn:
        await item_records.get(conn, item_id)
        values = {**data.model_dump(mode="python"), "item_id": item_id}
        _store_indicator_values(values)
        return await indicator_records.insert(conn, values, actor=actor.subject)


async def update_indicator(
    db: Database, *, indicator_id: int, data: IndicatorUpdate, version: int, actor: Principal
) -> IndicatorRow:
    changes = data.model_dump(exclude_unset=True)
    _store_indicator_values(changes)
    async with db.transaction() as conn:
        return await indicator_records.update(
            conn, indicator_id, changes, expected_version=version, actor=actor.subject
        )


async def delete_indicator(db: Database, *, indicator_id: int, version: int, actor: Principal) -> None:
    async with db.transaction() as conn:
        await indicator_records.delete(conn, indicator_id, expected_version=version, actor=actor.subject)


# -- milestones -------------------------------------------------------------------------------------


async def list_milestones(db: Database, *, item_id: int, after_id: int | None, limit: int) -> list[MilestoneRow]:
    async with db.read() as conn:
        await item_records.get(conn, item_id)
        where = [milestones.c.item_id == item_id]
        return await milestone_records.page(conn, where=where, after_id=after_id, limit=limit)


async def get_milestone(db: Database, *, milestone_id: int) -> MilestoneRow:
    async with db.read() as conn:
        return await milestone_records.get(conn, milestone_id)


async def create_milestone(db: Database, *, item_id: int, data: MilestoneCreate, actor: Principal) -> MilestoneRow:
    async with db.transaction() as conn:
        await item_records.get(conn, item_id)
        values = {**data.model_dump(mode="python"), "item_id": item_id, "original_due_on": data.due_on}
        return await milestone_records.insert(conn, values, actor=actor.subject)


async def update_milestone(
    db: Database, *, milestone_id: int, data: MilestoneUpdate, version: int, principal: Principal
) -> MilestoneRow:
    """Staff edit a milestone; a responsible unit may only mark it done or reopen it (its due date moves only
    through an approved extension)."""
    changes = data.model_dump(exclude_unset=True)
    async with db.transaction() as conn:
        milestone = await milestone_records.get(conn, milestone_id)
        if not principal.is_staff:
            if set(changes) - {"done"}:
                raise Forbidden("A unit may only mark a milestone done or reopen it.")
            await require_duty(conn, principal, milestone["item_id"])
        values = {k: v for k, v in changes.items() if k != "done"}
        if "done" in changes:
            if changes["done"] is None:
                raise Unprocessable("done must be true or false.", at=("body", "done"))
            # Marking done twice keeps the first completion time.
            values["done_at"] = (milestone["done_at"] or clock.now()) if changes["done"] else None
        return await milestone_records.update(
            conn, milestone_id, values, expected_version=version, actor=principal.subject
        )


async def delete_milestone(db: Database, *, milestone_id: int, version: int, actor: Principal) -> None:
    async with db.transaction() as conn:
        await milestone_records.delete(conn, milestone_id, expected_version=version, actor=actor.subject)


# -- lead leaders -----------------------------------------------------------------------------------


async def _item_leader(conn: AsyncConnection, item_id: int, leader_id: int) -> ItemLeaderRow:
    await item_records.get(conn, item_id)
    row = await repository.item_leader(conn, item_id, leader_id)
    if row is None:
        raise NotFound(f"Leader {leader_id} does not lead item {item_id}.")
    return row


async def list_item_leaders(
    db: Database, *, item_id: int, after: tuple[int, int] | None, limit: int
) -> list[ItemLeaderRow]:
    """The lead leaders of an item in printed order, keyed by (position, leader_id)."""
    async with db.read() as conn:
        await item_records.get(conn, item_id)
        return await repository.item_leader_page(conn, item_id=item_id, after=after, limit=limit)


async def get_item_leader(db: Database, *, item_id: int, leader_id: int) -> ItemLeaderRow:
    async with db.read() as conn:
        return await _item_leader(conn, item_id, leader_id)


async def add_item_leader(db: Database, *, item_id: int, data: ItemLeaderCreate, actor: Principal) -> ItemLeaderRow:
    """Name a city leader as leading the item, after the leaders it has."""
    async with db.transaction() as conn:
        await item_records.get(conn, item_id)
        if await conn.scalar(select(leaders.c.id).where(leaders.c.id == data.leader_id)) is None:
            raise Unprocessable(f"Leader {data.leader_id} does not exist.", at=("body", "leader_id"))
        led = select(item_leaders.c.id).where(
            item_leaders.c.item_id == item_id, item_leaders.c.leader_id == data.leader_id
        )
        if await conn.scalar(led) is not None:
            raise Conflict(f"Leader {data.leader_id} already leads item {item_id}.")
        position = await conn.scalar(
            select(func.coalesce(func.max(item_leaders.c.position) + 1, 0)).where(item_leaders.c.item_id == item_id)
        )
        await item_leader_records.insert(
            conn, {"item_id": item_id, "leader_id": data.leader_id, "position": position}, actor=actor.subject
        )
        return await _item_leader(conn, item_id, data.leader_id)


async def remove_item_leader(db: Database, *, item_id: int, leader_id: int, actor: Principal) -> None:
    async with db.transaction() as conn:
        link = await _item_leader(conn, item_id, leader_id)
        await item_leader_records.delete(conn, link["id"], expected_version=None, actor=actor.subject)


# -- plan-wide reads, for the supervision roll-ups of reporting_api --------------------------------------


async def list_plan_indicators(db: Database, *, plan_id: int, after_id: int | None, limit: int) -> list[IndicatorRow]:
    """Every indicator of every item of the plan, by id."""
    async with db.read() as conn:
        await plan_records.get(conn, plan_id)
        where = [indicators.c.item_id.in_(select(items.c.id).where(items.c.plan_id == plan_id))]
        return await indicator_records.page(conn, where=where, after_id=after_id, limit=limit)


async def list_plan_item_leaders(
    db: Database, *, plan_id: int, after_id: int | None, limit: int
) -> list[PlanItemLeaderRow]:
    """Every (item, lead leader) pair of the plan, keyed by the pair's id."""
    async with db.read() as conn:
        await plan_records.get(conn, plan_id)
        return await repository.plan_item_leader_page(conn, plan_id=plan_id, after_id=after_id, limit=limit)
