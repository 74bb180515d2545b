"""The links' SQL, as typed rows: the link of an item, the items along a chain, the items that serve one."""

from __future__ import annotations

from typing import TypedDict, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import plain_rows
from services.tasks_api.items.repository import items
from services.tasks_api.tables import LinkRow, link_records, plan_records

links = link_records.table
plans = plan_records.table


class PlacedItem(TypedDict):
    """An item with the plan it belongs to: a step of a chain, or an item that serves another."""

    item_id: int
    item_key: str
    plan_id: int
    plan_title: str
    number: str
    title: str


PLACED = select(
    items.c.id.label("item_id"),
    items.c.key.label("item_key"),
    items.c.plan_id,
    plans.c.title.label("plan_title"),
    items.c.number,
    items.c.title,
).join(plans, plans.c.id == items.c.plan_id)


async def link_of(conn: AsyncConnection, item_id: int) -> LinkRow | None:
    found = plain_rows(await conn.execute(select(links).where(links.c.item_id == item_id)))
    return cast("LinkRow", found[0]) if found else None


async def placed(conn: AsyncConnection, item_id: int) -> PlacedItem | None:
    found = plain_rows(await conn.execute(PLACED.where(items.c.id == item_id)))
    return cast("PlacedItem", found[0]) if found else None


async def serving(conn: AsyncConnection, item_id: int, *, after_id: int | None, limit: int) -> list[PlacedItem]:
    """The items linked to `item_id`, in id order: `limit + 1` of them after the cursor."""
    query = (
        PLACED.join(links, links.c.item_id == items.c.id)
        .where(links.c.serves_item_id == item_id)
        .order_by(items.c.id)
        .limit(limit + 1)
    )
    if after_id is not None:
        query = query.where(items.c.id > after_id)
    return cast("list[PlacedItem]", plain_rows(await conn.execute(query)))
