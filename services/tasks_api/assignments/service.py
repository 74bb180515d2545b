"""Assignment rules: which units answer for an item (责任分工, 交办), their acknowledgement (签收), and who may
act for an item on the units' side."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal
from services.common.db import Database
from services.common.history import record_change
from services.common.outbox import emit
from services.common.problems import Conflict, Forbidden, NotFound, Unprocessable
from services.tasks_api.assignments import repository
from services.tasks_api.assignments.events import assigned_event
from services.tasks_api.assignments.repository import AssignmentFilters, AssignmentRow, responsibility_records
from services.tasks_api.db import change_log, outbox_events
from services.tasks_api.delegations.service import withdraw_with_duty
from services.tasks_api.items.models import Role
from services.tasks_api.items.repository import (
    DutyRow,
    item_records,
    lock_item,
    responsibilities,
    units,
)
from services.tasks_api.items.schemas import PlaceholderAssignment, ResponsibilityCreate
from services.tasks_api.tables import plan_records

# -- shared by the other modules of this room -------------------------------------------------------


async def require_duty(conn: AsyncConnection, principal: Principal, item_id: int) -> None:
    """Staff act for any item; a unit only for items it is responsible for, as lead or co-operating unit."""
    if principal.is_staff:
        return
    duty = select(responsibilities.c.id).where(
        responsibilities.c.item_id == item_id, responsibilities.c.unit_id == principal.unit_id
    )
    if principal.unit_id is None or await conn.scalar(duty) is None:
        raise Forbidden(f"Only the office or a unit responsible for item {item_id} may do this.")


# -- responsibilities -------------------------------------------------------------------------------


async def _responsibility(conn: AsyncConnection, responsibility_id: int) -> DutyRow:
    row = await repository.duty(conn, responsibility_id)
    if row is None:
        raise NotFound(f"Responsibility {responsibility_id} does not exist.")
    return row


async def list_responsibilities(
    db: Database, *, item_id: int, after: tuple[int, int] | None, limit: int
) -> list[DutyRow]:
    """The units of an item in printed order (the lead first), keyed by (position, id)."""
    async with db.read() as conn:
        await item_records.get(conn, item_id)
        return await repository.duty_page(conn, item_id=item_id, after=after, limit=limit)


async def get_responsibility(db: Database, *, responsibility_id: int) -> DutyRow:
    async with db.read() as conn:
        return await _responsibility(conn, responsibility_id)


async def assign_unit(db: Database, *, item_id: int, data: ResponsibilityCreate, actor: Principal) -> DutyRow:
    """Make a unit responsible for an item (交办); an item has at most one lead unit."""
    async with db.transaction() as conn:
        item = await lock_item(conn, item_id)
        if await conn.scalar(select(units.c.id).where(units.c.id == data.unit_id)) is None:
            raise Unprocessable(f"Unit {data.unit_id} does not exist.", at=("body", "unit_id"))
        current = (
            await conn.execute(
                select(responsibilities.c.unit_id, responsibilities.c.role).where(responsibilities.c.item_id == item_id)
            )
        ).all()
        if any(unit_id == data.unit_id for unit_id, _ in current):
            raise Conflict(f"Unit {data.unit_id} is already responsible for item {item_id}.")
        if data.role is Role.LEAD and any(role == Role.LEAD.value for _, role in current):
            raise Conflict(f"Item {item_id} already has a lead unit; remove it or assign this unit as co.")
        position = data.position
        if position is None:
            position = await conn.scalar(
                select(func.coalesce(func.max(responsibilities.c.position) + 1, 0)).where(
                    responsibilities.c.item_id == item_id
                )
            )
        row = await responsibility_records.insert(
            conn,
            {
                "item_id": item_id,
                "unit_id": data.unit_id,
                "role": data.role.value,
                "position": position,
                "printed_name": data.printed_name,
                "group": data.group,
                "assigned_at": clock.now(),
            },
            actor=actor.subject,
        )
        assigned = await _responsibility(conn, row["id"])
        await emit(conn, outbox_events, "item.assigned", assigned_event(item, assigned))
        return assigned


async def assign_placeholder(
    db: Database, *, responsibility_id: int, data: PlaceholderAssignment, actor: Principal
) -> list[DutyRow]:
    """Replace a collective placeholder (市级有关部门) by the units the office names, at its place in the printed
    order: the first unit takes the placeholder's role, the others co-operate, and each keeps the printed phrase.
    The history keeps the placeholder's deletion and each new responsibility."""
    unit_ids = list(dict.fromkeys(data.unit_ids))
    async with db.transaction() as conn:
        placeholder = await _responsibility(conn, responsibility_id)
        await lock_item(conn, placeholder["item_id"])
        await _check_new_units(conn, placeholder["item_id"], unit_ids)
        # The compare-and-set: only a placeholder that is still one is replaced; a concurrent assignment wins once.
        gone = await conn.execute(
            responsibilities.delete().where(
                responsibilities.c.id == responsibility_id, responsibilities.c.unit_id.is_(None)
            )
        )
        if gone.rowcount != 1:
            raise Conflict(f"Responsibility {responsibility_id} is not a placeholder waiting to be assigned.")
        await record_change(
            conn,
            change_log,
            entity="responsibility",
            entity_id=responsibility_id,
            action="delete",
            actor=actor.subject,
            before=repository.stored(placeholder),
        )
        await conn.execute(
            responsibilities.update()
            .where(
                responsibilities.c.item_id == placeholder["item_id"],
                responsibilities.c.position > placeholder["position"],
            )
            .values(position=responsibilities.c.position + len(unit_ids) - 1)
        )
        return [await _take_over(conn, placeholder, unit_id, n, actor) for n, unit_id in enumerate(unit_ids)]


async def _check_new_units(conn: AsyncConnection, item_id: int, unit_ids: list[int]) -> None:
    found = set((await conn.execute(select(units.c.id).where(units.c.id.in_(unit_ids)))).scalars())
    if missing := [u for u in unit_ids if u not in found]:
        raise Unprocessable(f"Units {missing} do not exist.")
    taken = set(
        (
            await conn.execute(
                select(responsibilities.c.unit_id).where(
                    responsibilities.c.item_id == item_id, responsibilities.c.unit_id.in_(unit_ids)
                )
            )
        ).scalars()
    )
    if taken:
        raise Conflict(f"Units {sorted(taken)} are already responsible for item {item_id}.")


async def _take_over(conn: AsyncConnection, placeholder: DutyRow, unit_id: int, n: int, actor: Principal) -> DutyRow:
    row = await responsibility_records.insert(
        conn,
        {
            "item_id": placeholder["item_id"],
            "unit_id": unit_id,
            "role": placeholder["role"] if n == 0 else Role.CO.value,
            "position": placeholder["position"] + n,
            "printed_name": placeholder["printed_name"],
            "group": placeholder["group"],
            "assigned_at": clock.now(),
        },
        actor=actor.subject,
    )
    assigned = await _responsibility(conn, row["id"])
    item = await item_records.get(conn, placeholder["item_id"])
    await emit(conn, outbox_events, "item.assigned", assigned_event(item, assigned))
    return assigned


async def unassign_unit(db: Database, *, item_id: int, responsibility_id: int, actor: Principal) -> None:
    """Take the item from a unit; the delegations (转办) it made on that responsibility are withdrawn with it."""
    async with db.transaction() as conn:
        item = await lock_item(conn, item_id)  # no delegation of it is made from the duty while it goes
        found = await responsibility_records.find(conn, responsibility_id)
        if found is None or found["item_id"] != item_id:
            raise NotFound(f"Item {item_id} has no responsibility {responsibility_id}.")
        await responsibility_records.delete(conn, responsibility_id, expected_version=None, actor=actor.subject)
        if found["unit_id"] is not None:
            await withdraw_with_duty(conn, item, found["unit_id"], actor=actor.subject)


async def acknowledge(db: Database, *, responsibility_id: int, principal: Principal) -> DutyRow:
    """Record that the unit received its assignment (签收); acknowledging twice changes nothing."""
    async with db.transaction() as conn:
        before = await _responsibility(conn, responsibility_id)
        if not principal.is_staff and principal.unit_id != before["unit_id"]:
            raise Forbidden("Only the assigned unit, or the office on its behalf, may acknowledge an assignment.")
        if before["unit_id"] is None:
            raise Conflict(f"Responsibility {responsibility_id} is a placeholder: assign it to units first.")
        if before["acknowledged_at"] is not None:
            return before
        result = await conn.execute(
            responsibilities.update()
            .where(responsibilities.c.id == responsibility_id, responsibilities.c.acknowledged_at.is_(None))
            .values(acknowledged_at=clock.now(), acknowledged_by=principal.subject)
        )
        after = await _responsibility(conn, responsibility_id)
        if result.rowcount:  # zero when a concurrent call acknowledged first: that one records the change
            await record_change(
                conn,
                change_log,
                entity="responsibility",
                entity_id=responsibility_id,
                action="update",
                actor=principal.subject,
                before=before,
                after=after,
            )
        return after


# -- assignment lists -------------------------------------------------------------------------------


async def unit_assignments(
    db: Database,
    *,
    unit_id: int,
    principal: Principal,
    after_id: int | None,
    limit: int,
    plan_id: int | None,
    acknowledged: bool | None,
    item_number: str | None = None,
) -> list[AssignmentRow]:
    """A unit's assignments; a unit token may list only its own."""
    principal.scoped_unit(unit_id)
    async with db.read() as conn:
        if await conn.scalar(select(units.c.id).where(units.c.id == unit_id)) is None:
            raise NotFound(f"Unit {unit_id} does not exist.")
        filters = AssignmentFilters(unit_id, plan_id, acknowledged, item_number)
        return await repository.assignment_page(conn, filters, after_id=after_id, limit=limit)


async def plan_assignments(
    db: Database,
    *,
    plan_id: int,
    principal: Principal,
    after_id: int | None,
    limit: int,
    unit_id: int | None,
    acknowledged: bool | None,
    item_number: str | None = None,
) -> list[AssignmentRow]:
    """A plan's assignments; a unit token sees only its own unit's rows. Only an empty page asks whether the plan
    exists (404 rather than an empty list): the other services read a plan's every page in bulk."""
    unit_id = principal.scoped_unit(unit_id)
    async with db.read() as conn:
        filters = AssignmentFilters(unit_id, plan_id, acknowledged, item_number)
        rows = await repository.assignment_page(conn, filters, after_id=after_id, limit=limit)
        if not rows:
            await plan_records.get(conn, plan_id)
        return rows
