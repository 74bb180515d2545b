"""Item rules: the tree of a plan, its filters, and edits that keep the tree a tree."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal
from services.common.db import Database
from services.common.dialect import dialect_of
from services.common.problems import Conflict, Unprocessable
from services.common.records import rows_of
from services.tasks_api.items import pages
from services.tasks_api.items.closing import close_if_done, refuse_closed_parent
from services.tasks_api.items.models import ItemStatus, Role
from services.tasks_api.items.pages import ItemFilters
from services.tasks_api.items.repository import (
    DUTIES,
    DutyRow,
    ItemListRow,
    ItemRow,
    ItemWithDuties,
    LeaderRefRow,
    item_leaders,
    item_records,
    items,
    leaders,
    responsibilities,
)
from services.tasks_api.items.schemas import ItemCreate, ItemUpdate, TreeNode
from services.tasks_api.items.unlinking import drop_links_of, subtree
from services.tasks_api.tables import ITEM_TREE_LOCK, LINK_LOCK, plan_records


async def list_items(db: Database, filters: ItemFilters, *, after_id: int | None, limit: int) -> list[ItemListRow]:
    """A page of the plan's items (`limit + 1` rows, for the page and the cursor after it)."""
    rows = await pages.item_page(db, filters, after_id=after_id, limit=limit)
    if not rows:  # a row of the plan proves it exists: only an empty page asks, to answer 404 for no such plan
        async with db.read() as conn:
            await plan_records.get(conn, filters.plan_id)
    return rows


async def get_item(db: Database, *, item_id: int) -> ItemWithDuties:
    """The item with its responsible units and lead leaders."""
    async with db.read() as conn:
        item = await item_records.get(conn, item_id)
        duties = await _duties_of(conn, item_id)
        return ItemWithDuties(**item, responsibilities=duties, lead_leaders=await _lead_leaders(conn, item_id))


async def _duties_of(conn: AsyncConnection, item_id: int) -> list[DutyRow]:
    """The item's responsibilities in printed order."""
    query = DUTIES.where(responsibilities.c.item_id == item_id).order_by(
        responsibilities.c.position, responsibilities.c.id
    )
    return await rows_of(conn, query, DutyRow)


async def _lead_leaders(conn: AsyncConnection, item_id: int) -> list[LeaderRefRow]:
    query = (
        select(leaders.c.id, leaders.c.name, leaders.c.title)
        .join(item_leaders, item_leaders.c.leader_id == leaders.c.id)
        .where(item_leaders.c.item_id == item_id)
        .order_by(item_leaders.c.position)
    )
    return await rows_of(conn, query, LeaderRefRow)


async def _check_parent(conn: AsyncConnection, *, plan_id: int, parent_id: int, item_id: int | None = None) -> None:
    parent = await item_records.find(conn, parent_id)
    if parent is None or parent["plan_id"] != plan_id:
        raise Unprocessable(f"Parent item {parent_id} is not an item of plan {plan_id}.", at=("body", "parent_id"))
    ancestor: ItemRow | None = parent
    seen: set[int] = set()  # a chain that loops (written before moves took ITEM_TREE_LOCK) ends the walk
    while ancestor is not None and item_id is not None and ancestor["id"] not in seen:
        if ancestor["id"] == item_id:
            raise Unprocessable(
                "An item cannot be moved under itself or one of its descendants.", at=("body", "parent_id")
            )
        seen.add(ancestor["id"])
        ancestor = await item_records.find(conn, ancestor["parent_id"]) if ancestor["parent_id"] else None


async def create_item(db: Database, *, plan_id: int, data: ItemCreate, actor: Principal) -> ItemRow:
    async with db.transaction() as conn:
        await plan_records.get(conn, plan_id)
        if data.parent_id is not None:
            await _check_parent(conn, plan_id=plan_id, parent_id=data.parent_id)
            await refuse_closed_parent(conn, data.parent_id)
        position = data.position
        if position is None:
            siblings = select(func.coalesce(func.max(items.c.position) + 1, 0)).where(
                items.c.plan_id == plan_id,
                items.c.parent_id.is_(None) if data.parent_id is None else items.c.parent_id == data.parent_id,
            )
            position = (await conn.execute(siblings)).scalar_one()
        values = {
            **data.model_dump(mode="python"),
            "plan_id": plan_id,
            "position": position,
            "original_due_on": data.due_on,
            "status": ItemStatus.OPEN.value,
        }
        return await item_records.insert(conn, values, actor=actor.subject)


async def update_item(db: Database, *, item_id: int, data: ItemUpdate, version: int, actor: Principal) -> ItemRow:
    changes = data.model_dump(exclude_unset=True)
    async with db.transaction() as conn:
        if changes.get("parent_id") is not None:  # first: the chain checked below stays as read until this commits
            await dialect_of(conn).writer_lock(conn, ITEM_TREE_LOCK)
        item = await item_records.get(conn, item_id)
        if changes.get("status", item["status"]) != item["status"] and item["status"] == ItemStatus.CLOSED.value:
            raise Conflict(f"Item {item_id} is closed (办结); reopen it (POST /v1/items/{item_id}/reopen) first.")
        if changes.get("parent_id") is not None:
            await _check_parent(conn, plan_id=item["plan_id"], parent_id=changes["parent_id"], item_id=item_id)
        if item["original_due_on"] is None and changes.get("due_on"):
            changes["original_due_on"] = changes["due_on"]
        parent_id, status = changes.get("parent_id", item["parent_id"]), changes.get("status", item["status"])
        if status == ItemStatus.OPEN.value and (parent_id, status) != (item["parent_id"], item["status"]):
            await refuse_closed_parent(conn, parent_id)  # moved under it, or restored under it
        updated = await item_records.update(conn, item_id, changes, expected_version=version, actor=actor.subject)
        if parent_id != item["parent_id"] or status != item["status"]:
            await close_if_done(conn, item["parent_id"], actor=actor.subject, today=clock.business_today())
        return updated


async def delete_item(db: Database, *, item_id: int, version: int, actor: Principal) -> None:
    """Delete an item; its children and everything hanging on them go with it (their links to and from other plans
    recorded as deleted), and a parent left with none open closes."""
    async with db.transaction() as conn:
        await dialect_of(conn).writer_lock(conn, LINK_LOCK)  # before the links that go are read
        item = await item_records.get_at(conn, item_id, version)
        await drop_links_of(conn, subtree(item_id), actor=actor.subject)
        await item_records.delete(conn, item_id, expected_version=version, actor=actor.subject)
        await close_if_done(conn, item["parent_id"], actor=actor.subject, today=clock.business_today())


async def plan_tree(db: Database, *, plan_id: int) -> list[TreeNode]:
    """The whole item tree of a plan, each node with its lead unit."""
    async with db.read() as conn:
        await plan_records.get(conn, plan_id)
        query = select(
            items.c.id,
            items.c.parent_id,
            items.c.key,
            items.c.kind,
            items.c.number,
            items.c.title,
            items.c.status,
            items.c.due_on,
        ).where(items.c.plan_id == plan_id)
        rows = (await conn.execute(query.order_by(items.c.position, items.c.id))).mappings().all()
        leads = await _leads(conn, plan_id)
    return _linked(rows, leads)


async def _leads(conn: AsyncConnection, plan_id: int) -> dict[int, DutyRow]:
    """The lead responsibility of each item of the plan that has one, by item id."""
    query = DUTIES.join(items, items.c.id == responsibilities.c.item_id).where(
        items.c.plan_id == plan_id, responsibilities.c.role == Role.LEAD.value
    )
    return {row["item_id"]: row for row in await rows_of(conn, query, DutyRow)}


def _linked(rows: Sequence[RowMapping], leads: dict[int, DutyRow]) -> list[TreeNode]:
    """The items as nodes under their parents, in the rows' order; the nodes of the top level."""
    children: dict[int | None, list[TreeNode]] = defaultdict(list)
    for row in rows:
        lead = leads.get(row["id"])
        node = TreeNode.model_validate(
            {
                **row,
                "lead_unit": lead["unit_name"] if lead is not None else None,
                "lead_to_be_assigned": lead["printed_name"] if lead is not None and lead["unit_id"] is None else None,
                "children": [],
            }
        )
        children[row["parent_id"]].append(node)
    for nodes in children.values():
        for node in nodes:
            node.children = children.get(node.id, [])
    return children[None]
