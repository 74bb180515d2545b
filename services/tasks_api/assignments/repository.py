"""The assignments' SQL: responsibilities as the API shows them, and the assignment lists, as typed rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict, cast

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import Records, plain_rows
from services.tasks_api.db import change_log
from services.tasks_api.items.repository import (
    DUTIES,
    DutyRow,
    StoredResponsibility,
    first_of_plan,
    items,
    responsibilities,
    units,
)

responsibility_records: Records[StoredResponsibility] = Records(responsibilities, "responsibility", change_log)


class AssignmentRow(TypedDict):
    """One assignment of an item to a unit, with the item's plan, key, number and title (AssignmentPublic)."""

    id: int
    item_id: int
    plan_id: int
    item_key: str
    item_number: str
    item_title: str
    unit_id: int
    unit_name: str
    role: str
    assigned_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


ASSIGNMENT = (
    select(
        responsibilities.c.id,
        responsibilities.c.item_id,
        items.c.plan_id,
        items.c.key.label("item_key"),
        items.c.number.label("item_number"),
        items.c.title.label("item_title"),
        responsibilities.c.unit_id,
        units.c.name.label("unit_name"),
        responsibilities.c.role,
        responsibilities.c.assigned_at,
        responsibilities.c.acknowledged_at,
        responsibilities.c.acknowledged_by,
    )
    .join(items, items.c.id == responsibilities.c.item_id)
    .join(units, units.c.id == responsibilities.c.unit_id)
)


async def duty(conn: AsyncConnection, responsibility_id: int) -> DutyRow | None:
    row = (await conn.execute(DUTIES.where(responsibilities.c.id == responsibility_id))).mappings().first()
    return cast(DutyRow, dict(row)) if row else None


async def duty_page(conn: AsyncConnection, *, item_id: int, after: tuple[int, int] | None, limit: int) -> list[DutyRow]:
    """The units of an item in printed order (the lead first), keyed by (position, id)."""
    query = (
        DUTIES.where(responsibilities.c.item_id == item_id)
        .order_by(responsibilities.c.position, responsibilities.c.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(tuple_(responsibilities.c.position, responsibilities.c.id) > tuple_(*after))
    return [cast(DutyRow, dict(r)) for r in (await conn.execute(query)).mappings()]


def stored(row: DutyRow) -> StoredResponsibility:
    """The table's columns of a responsibility read through DUTIES."""
    return StoredResponsibility(
        id=row["id"],
        item_id=row["item_id"],
        unit_id=row["unit_id"],
        role=row["role"],
        position=row["position"],
        printed_name=row["printed_name"],
        group=row["group"],
        assigned_at=row["assigned_at"],
        acknowledged_at=row["acknowledged_at"],
        acknowledged_by=row["acknowledged_by"],
    )


@dataclass(frozen=True, slots=True)
class AssignmentFilters:
    """Which assignments a list shows (a unit's or a plan's); every filter is optional."""

    unit_id: int | None = None
    plan_id: int | None = None
    acknowledged: bool | None = None
    item_number: str | None = None


async def assignment_page(
    conn: AsyncConnection, filters: AssignmentFilters, *, after_id: int | None, limit: int
) -> list[AssignmentRow]:
    query = ASSIGNMENT.order_by(responsibilities.c.id).limit(limit + 1)
    if after_id is not None:
        query = query.where(responsibilities.c.id > after_id)
    elif filters.plan_id is not None:
        query = query.where(responsibilities.c.id >= first_of_plan(responsibilities, filters.plan_id))
    if filters.unit_id is not None:
        query = query.where(responsibilities.c.unit_id == filters.unit_id)
    if filters.plan_id is not None:
        query = query.where(items.c.plan_id == filters.plan_id)
    if filters.item_number is not None:
        query = query.where(items.c.number == filters.item_number)
    if filters.acknowledged is not None:
        seen = responsibilities.c.acknowledged_at
        query = query.where(seen.is_not(None) if filters.acknowledged else seen.is_(None))
    return cast(list[AssignmentRow], plain_rows(await conn.execute(query)))
