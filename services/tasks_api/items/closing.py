"""An item's status along its tree: an item closes (办结) and its parent with its last open child, and a closed item
never has an open child. Close-outs (closeout/service.py) close items through here, and so do the changes that take
a parent's last open child from it (a cancellation, a deletion, a move: items/service.py)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.outbox import emit
from services.common.problems import Conflict
from services.tasks_api.db import outbox_events
from services.tasks_api.items.events import RequestRef, closeout_event
from services.tasks_api.items.models import ItemStatus
from services.tasks_api.items.repository import ItemRow, item_records, items, lock_item, unit_name

DONE = (ItemStatus.CLOSED.value, ItemStatus.CANCELLED.value)  # owe nothing any more


async def close_item(
    conn: AsyncConnection, item: ItemRow, *, actor: str, today: date, request: RequestRef | None
) -> None:
    """Close the item, then its parent if that was its last open child, and so on up the tree."""
    closed = await item_records.update(
        conn,
        item["id"],
        {"status": ItemStatus.CLOSED.value, "closed_on": today, "closeout_request_id": None},
        expected_version=None,
        actor=actor,
    )
    named = await unit_name(conn, request["unit_id"]) if request else None
    event = closeout_event(closed, actor=actor, request=request, unit_name=named, closed_on=today)
    await emit(conn, outbox_events, "item.closed", event)
    await close_if_done(conn, item["parent_id"], actor=actor, today=today)


async def close_if_done(conn: AsyncConnection, parent_id: int | None, *, actor: str, today: date) -> None:
    """Close the parent once none of its children is open (one closed, the others closed or cancelled): after a
    child's close-out, or its cancellation, deletion or move to another parent."""
    if parent_id is None:
        return
    parent = await lock_item(conn, parent_id)
    # Read after locking the parent: a sibling's approval committing meanwhile is seen here (read committed),
    # so of two last children approved at once, the second closes the parent.
    siblings = (await conn.scalars(select(items.c.status).where(items.c.parent_id == parent["id"]))).all()
    if (
        parent["status"] == ItemStatus.OPEN.value
        and all(status in DONE for status in siblings)
        and ItemStatus.CLOSED.value in siblings
    ):
        await close_item(conn, parent, actor=actor, today=today, request=None)


async def refuse_closed_parent(conn: AsyncConnection, parent_id: int | None) -> None:
    """409 when an open item would hang under a closed one: a closed parent has no open child (it would owe
    nothing while its child's work went unsupervised); reopening the parent comes first."""
    if parent_id is None:
        return
    parent = await lock_item(conn, parent_id)
    if parent["status"] == ItemStatus.CLOSED.value:
        raise Conflict(
            f"Item {parent_id} is closed (办结); reopen it (POST /v1/items/{parent_id}/reopen) before it takes an open"
            " sub-item."
        )
