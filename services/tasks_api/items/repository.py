"""The items' SQL: the item record, its list columns and the rows the item routes answer with, as typed rows.

The responsibilities as shown (DUTIES) join the units table and stay in service.py, with the leaders it reads."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict, cast

from sqlalchemy import ColumnElement, Table, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.problems import NotFound
from services.common.records import Records
from services.common.tables import table_of
from services.tasks_api.db import change_log
from services.tasks_api.items.models import Item, ItemLeader, Responsibility, ResponsibilityStatus, item_index
from services.tasks_api.tables import Leader, Unit

items, responsibilities, item_leaders = table_of(Item), table_of(Responsibility), table_of(ItemLeader)
item_records: Records[ItemRow] = Records(items, "item", change_log, indexed=item_index)

# The columns of ItemPublic, selected as plain rows: the list endpoint encodes them without ORM objects.
LIST_COLUMNS = [
    items.c.id,
    items.c.plan_id,
    items.c.parent_id,
    items.c.key,
    items.c.kind,
    items.c.number,
    items.c.title,
    items.c.text,
    items.c.starts_on,
    items.c.due_on,
    items.c.original_due_on,
    items.c.status,
    items.c.closed_on,
    items.c.closeout_request_id,
    items.c.reopen_reason,
    items.c.position,
    items.c.version,
]


class ItemRef(TypedDict):
    """What an event says of its item: which plan, and the item's id, key, number, title, due date and status."""

    plan_id: int
    id: int
    key: str
    number: str
    title: str
    due_on: date | None
    status: str


class ItemListRow(ItemRef):
    """An item as the lists show it (LIST_COLUMNS, ItemPublic)."""

    parent_id: int | None
    kind: str
    text: str
    starts_on: date | None
    original_due_on: date | None
    closed_on: date | None
    closeout_request_id: int | None
    reopen_reason: str | None
    position: int
    version: int


class ItemRow(ItemListRow):
    """An item as stored."""

    created_at: datetime
    updated_at: datetime


class ResponsibilityColumns(TypedDict):
    """A responsibility's columns but its printed name, which the table leaves empty for a unit printed by its name
    and the API always shows."""

    id: int
    item_id: int
    unit_id: int | None
    role: str
    position: int
    group: int
    assigned_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class StoredResponsibility(ResponsibilityColumns):
    """A responsibility as stored: what its history records."""

    printed_name: str | None


class DutyRow(ResponsibilityColumns):
    """A responsibility as the API shows it (DUTIES): a placeholder has no unit and reads as to_be_assigned."""

    printed_name: str
    unit_name: str | None
    status: str


class ItemLeaderLink(TypedDict):
    """A lead leader of an item as stored: the link, in printed position."""

    id: int
    item_id: int
    leader_id: int
    position: int


class LeaderRefRow(TypedDict):
    """A lead leader of an item, by id and name (LeaderRef)."""

    id: int
    name: str
    title: str | None


class ItemWithDuties(ItemRow):
    """An item with its responsible units in printed order and its lead leaders (ItemDetail)."""

    responsibilities: list[DutyRow]
    lead_leaders: list[LeaderRefRow]


async def locked_item(conn: AsyncConnection, item_id: int) -> ItemRow | None:
    """The item, locked for the transaction (on PostgreSQL)."""
    row = (await conn.execute(select(items).where(items.c.id == item_id).with_for_update())).mappings().first()
    return cast(ItemRow, dict(row)) if row else None


async def lock_item(conn: AsyncConnection, item_id: int) -> ItemRow:
    """The item, locked for the transaction (on PostgreSQL), so checks on its assignments and requests cannot race."""
    item = await locked_item(conn, item_id)
    if item is None:
        raise NotFound(f"Item {item_id} does not exist.")
    return item


async def unit_name(conn: AsyncConnection, unit_id: int | None) -> str | None:
    """The unit's name, for an event to carry (its subscribers need not call back for it)."""
    return None if unit_id is None else await conn.scalar(select(units.c.name).where(units.c.id == unit_id))


def first_of_plan(rows: Table, plan_id: int) -> ColumnElement[int]:
    """The smallest id among `rows` (a table of the items' own rows, indexed by item_id) of the plan's items, found
    from the items by index: a bound for a plan's first keyset page.

    Without it a plan's first page walks the ids from the very first, through every earlier plan's rows, until it
    meets this plan's: the tenth plan of ten read the whole table (170 ms at scale 0.2) each time a peer read its
    assignments or lead leaders (every dispatch). The later pages start at their cursor."""
    own = rows.alias("own")
    first_of_item = select(func.min(own.c.id)).where(own.c.item_id == items.c.id).correlate(items).scalar_subquery()
    return select(func.min(first_of_item)).where(items.c.plan_id == plan_id).scalar_subquery()


units, leaders = table_of(Unit), table_of(Leader)

# The columns of a responsibility as the API shows it: a placeholder (no unit) keeps its printed phrase and reads
# as to_be_assigned. Select them from responsibilities LEFT JOIN units, so placeholders are not lost.
DUTY_COLUMNS = [
    *(c for c in responsibilities.c if c.name != "printed_name"),
    units.c.name.label("unit_name"),
    func.coalesce(responsibilities.c.printed_name, units.c.name).label("printed_name"),
    case(
        (responsibilities.c.unit_id.is_(None), ResponsibilityStatus.TO_BE_ASSIGNED.value),
        else_=ResponsibilityStatus.ASSIGNED.value,
    ).label("status"),
]
DUTIES = select(*DUTY_COLUMNS).outerjoin(units, units.c.id == responsibilities.c.unit_id)
