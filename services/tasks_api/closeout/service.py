"""Close-out rules (办结销号): the lead unit asks with a summary of results, the office approves (the item closes on
the Beijing business day of approval) or refuses with a reason, and may reopen a closed item with a reason.

Every step is a compare-and-set on the version the caller saw (the item's for a request and a reopening, the
request's for a decision), is in the history, and emits its event in the same transaction. A parent item closes in
the transaction that closes its last open child, and reopens when one of its children is reopened."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal
from services.common.db import Database
from services.common.etag import stale
from services.common.outbox import emit
from services.common.problems import Conflict, Forbidden
from services.tasks_api.closeout.models import CloseoutStatus
from services.tasks_api.closeout.repository import CloseoutRow, closeout_records, closeouts
from services.tasks_api.closeout.schemas import CloseoutCreate, CloseoutDecision, Reopening
from services.tasks_api.db import outbox_events
from services.tasks_api.items.closing import close_item
from services.tasks_api.items.events import closeout_event
from services.tasks_api.items.models import ItemStatus, Role
from services.tasks_api.items.repository import ItemRow, item_records, items, lock_item, responsibilities, unit_name


async def _lock_at(conn: AsyncConnection, item_id: int, version: int) -> ItemRow:
    """The item locked for the transaction, if it is still at the version the caller saw (404, 412)."""
    item = await lock_item(conn, item_id)
    if item["version"] != version:
        raise stale(item["version"])
    return item


async def _require_lead(conn: AsyncConnection, principal: Principal, item_id: int) -> None:
    lead = select(responsibilities.c.id).where(
        responsibilities.c.item_id == item_id,
        responsibilities.c.unit_id == principal.unit_id,
        responsibilities.c.role == Role.LEAD.value,
    )
    if principal.unit_id is None or await conn.scalar(lead) is None:
        raise Forbidden(f"Only the lead unit (牵头单位) of item {item_id} may request its close-out.")


async def _require_closable(conn: AsyncConnection, item: ItemRow) -> None:
    if item["status"] != ItemStatus.OPEN.value:
        raise Conflict(f"Item {item['id']} is {item['status']}; only an open item can be closed out.")
    if item["closeout_request_id"] is not None:
        raise Conflict(f"Close-out request {item['closeout_request_id']} of item {item['id']} is still pending.")
    if await conn.scalar(select(items.c.id).where(items.c.parent_id == item["id"]).limit(1)) is not None:
        raise Conflict(f"Item {item['id']} has sub-items; it closes when all of them are closed.")


async def request_closeout(
    db: Database, *, item_id: int, data: CloseoutCreate, version: int, principal: Principal
) -> CloseoutRow:
    """File the lead unit's close-out request; the item shows it as pending until the office decides."""
    async with db.transaction() as conn:
        item = await lock_item(conn, item_id)
        await _require_lead(conn, principal, item_id)
        if item["version"] != version:
            raise stale(item["version"])
        await _require_closable(conn, item)
        request = await closeout_records.insert(
            conn,
            {
                "summary": data.summary,
                "item_id": item_id,
                "unit_id": principal.unit_id,
                "status": CloseoutStatus.PENDING.value,
                "requested_by": principal.subject,
                "requested_at": clock.now(),
            },
            actor=principal.subject,
        )
        item = await item_records.update(
            conn, item_id, {"closeout_request_id": request["id"]}, expected_version=version, actor=principal.subject
        )
        await emit(
            conn,
            outbox_events,
            "item.closeout_requested",
            closeout_event(
                item, actor=principal.subject, request=request, unit_name=await unit_name(conn, request["unit_id"])
            ),
        )
        return request


async def decide_closeout(
    db: Database, *, closeout_id: int, data: CloseoutDecision, version: int, actor: Principal
) -> CloseoutRow:
    """Approve (the item closes today, Beijing time, and so do the parents it was the last open child of) or refuse
    (the request ends; the unit may ask again)."""
    async with db.transaction() as conn:
        request = await closeout_records.get_at(conn, closeout_id, version)
        if request["status"] != CloseoutStatus.PENDING.value:
            raise Conflict(f"Close-out request {closeout_id} was already {request['status']}.")
        item = await lock_item(conn, request["item_id"])
        if data.approve and item["status"] != ItemStatus.OPEN.value:
            raise Conflict(f"Item {item['id']} is {item['status']}; it cannot be closed.")
        today = clock.business_today()
        decision = {
            "status": (CloseoutStatus.APPROVED if data.approve else CloseoutStatus.REFUSED).value,
            "decided_by": actor.subject,
            "decided_at": clock.now(),
            "decision_reason": data.reason,
            "closed_on": today if data.approve else None,
        }
        decided = await closeout_records.update(
            conn, closeout_id, decision, expected_version=version, actor=actor.subject
        )
        if data.approve:
            await close_item(conn, item, actor=actor.subject, today=today, request=decided)
        else:
            await _refuse(conn, item, actor=actor.subject, request=decided, reason=data.reason)
        return decided


async def _refuse(
    conn: AsyncConnection, item: ItemRow, *, actor: str, request: CloseoutRow, reason: str | None
) -> None:
    """The item is open again to a new request; the refusal is published with its reason."""
    item = await item_records.update(
        conn, item["id"], {"closeout_request_id": None}, expected_version=None, actor=actor
    )
    named = await unit_name(conn, request["unit_id"])
    event = closeout_event(item, actor=actor, request=request, unit_name=named, reason=reason)
    await emit(conn, outbox_events, "item.closeout_refused", event)


async def reopen_item(db: Database, *, item_id: int, data: Reopening, version: int, actor: Principal) -> ItemRow:
    """Reopen a closed item; a closed parent reopens with it, since it has an open child again."""
    async with db.transaction() as conn:
        item = await _lock_at(conn, item_id, version)
        if item["status"] != ItemStatus.CLOSED.value:
            raise Conflict(f"Item {item_id} is {item['status']}; only a closed item can be reopened.")
        return await _reopen(conn, item, actor=actor.subject, reason=data.reason)


async def _reopen(conn: AsyncConnection, item: ItemRow, *, actor: str, reason: str) -> ItemRow:
    reopened = await item_records.update(
        conn,
        item["id"],
        {"status": ItemStatus.OPEN.value, "closed_on": None, "reopen_reason": reason},
        expected_version=None,
        actor=actor,
    )
    await emit(conn, outbox_events, "item.reopened", closeout_event(reopened, actor=actor, reason=reason))
    if item["parent_id"] is not None:
        parent = await lock_item(conn, item["parent_id"])
        if parent["status"] == ItemStatus.CLOSED.value:
            because = f"子事项 {item['key']} 重新打开：{reason}"[:2000]
            await _reopen(conn, parent, actor=actor, reason=because)
    return reopened


async def list_closeouts(
    db: Database, *, item_id: int, principal: Principal, after_id: int | None, limit: int
) -> list[CloseoutRow]:
    """An item's close-out requests, oldest first; a unit token sees only those its unit filed."""
    where = [closeouts.c.item_id == item_id]
    if principal.unit_id is not None:
        where.append(closeouts.c.unit_id == principal.unit_id)
    async with db.read() as conn:
        await item_records.get(conn, item_id)
        return await closeout_records.page(conn, where=where, after_id=after_id, limit=limit)


async def get_closeout(db: Database, *, closeout_id: int, principal: Principal) -> CloseoutRow:
    async with db.read() as conn:
        request = await closeout_records.get(conn, closeout_id)
    if not principal.party_to(request["unit_id"]):
        raise closeout_records.missing(closeout_id)
    return request
