"""Due dates: the deadline calendar notify_api reads, and the requests to move a due date (延期申请)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal
from services.common.db import Database
from services.common.outbox import emit
from services.common.problems import Conflict, Unprocessable
from services.tasks_api.assignments.events import extended_event
from services.tasks_api.assignments.service import require_duty
from services.tasks_api.db import outbox_events
from services.tasks_api.deadlines import repository
from services.tasks_api.deadlines.models import ExtensionStatus
from services.tasks_api.deadlines.repository import (
    DeadlineRow,
    ExtensionRow,
    extension_records,
    extensions,
)
from services.tasks_api.deadlines.schemas import DeadlineKind, ExtensionCreate, ExtensionDecision
from services.tasks_api.items.models import ItemStatus
from services.tasks_api.items.repository import ItemRow, item_records, items, lock_item, unit_name
from services.tasks_api.targets.repository import milestone_records

MAX_WINDOW_DAYS = 400


# -- extension requests -----------------------------------------------------------------------------


async def _due_date(conn: AsyncConnection, item: ItemRow, milestone_id: int | None) -> date:
    """The current due date the request would move: the milestone's, or the item's."""
    if milestone_id is None:
        if item["due_on"] is None:
            raise Unprocessable(f"Item {item['id']} has no due date to extend.")
        item_due: date = item["due_on"]
        return item_due
    milestone = await milestone_records.find(conn, milestone_id)
    if milestone is None or milestone["item_id"] != item["id"]:
        raise Unprocessable(
            f"Milestone {milestone_id} is not a milestone of item {item['id']}.", at=("body", "milestone_id")
        )
    milestone_due: date = milestone["due_on"]
    return milestone_due


def _refuse_finished(item: ItemRow) -> None:
    """409 for an item closed out (办结) or cancelled: it owes nothing, so no due date of it moves."""
    if item["status"] != ItemStatus.OPEN.value:
        raise Conflict(f"Item {item['id']} is {item['status']}; its due dates no longer move.")


async def _check_still_due(conn: AsyncConnection, request: ExtensionRow) -> None:
    """Before an approval moves the date: the item still open (locked until the decision commits) and the date the
    request was filed against still the one in force; a date moved since (by the office, or another request) is a
    new situation to ask about again, never one an old request may pull back."""
    item = await lock_item(conn, request["item_id"])
    _refuse_finished(item)
    due_on, filed_against = await _due_date(conn, item, request["milestone_id"]), request["previous_due_on"]
    if due_on != filed_against:
        raise Conflict(
            f"The due date moved from {filed_against} to {due_on.isoformat()} since "
            f"extension request {request['id']} was filed; reject it and ask again."
        )


async def request_extension(db: Database, *, item_id: int, data: ExtensionCreate, principal: Principal) -> ExtensionRow:
    """File a request to move a due date; one pending request per item or milestone at a time."""
    async with db.transaction() as conn:
        item = await lock_item(conn, item_id)
        await require_duty(conn, principal, item_id)
        _refuse_finished(item)
        due_on = await _due_date(conn, item, data.milestone_id)
        if data.requested_due_on <= due_on:
            raise Unprocessable(
                f"requested_due_on must be later than the current due date {due_on.isoformat()}.",
                at=("body", "requested_due_on"),
            )
        same_target = (
            extensions.c.milestone_id.is_(None)
            if data.milestone_id is None
            else extensions.c.milestone_id == data.milestone_id
        )
        pending = select(extensions.c.id).where(
            extensions.c.item_id == item_id, same_target, extensions.c.status == ExtensionStatus.PENDING.value
        )
        if (open_id := await conn.scalar(pending)) is not None:
            raise Conflict(f"Extension request {open_id} for the same due date is still pending.")
        values = {
            **data.model_dump(mode="python"),
            "item_id": item_id,
            "unit_id": principal.unit_id,
            "previous_due_on": due_on,
            "status": ExtensionStatus.PENDING.value,
            "requested_by": principal.subject,
            "requested_at": clock.now(),
        }
        return await extension_records.insert(conn, values, actor=principal.subject)


async def list_extensions(
    db: Database,
    *,
    principal: Principal,
    after_id: int | None,
    limit: int,
    item_id: int | None = None,
    status: ExtensionStatus | None = None,
    plan_id: int | None = None,
    unit_id: int | None = None,
) -> list[ExtensionRow]:
    """Extension requests, filtered; a unit token sees only those its unit filed."""
    where: list[Any] = []
    if (unit_id := principal.scoped_unit(unit_id)) is not None:
        where.append(extensions.c.unit_id == unit_id)
    if item_id is not None:
        where.append(extensions.c.item_id == item_id)
    if status is not None:
        where.append(extensions.c.status == status.value)
    if plan_id is not None:
        where.append(extensions.c.item_id.in_(select(items.c.id).where(items.c.plan_id == plan_id)))
    async with db.read() as conn:
        if item_id is not None:
            await item_records.get(conn, item_id)
        return await extension_records.page(conn, where=where, after_id=after_id, limit=limit)


async def get_extension(db: Database, *, extension_id: int, principal: Principal) -> ExtensionRow:
    async with db.read() as conn:
        request = await extension_records.get(conn, extension_id)
    if not principal.party_to(request["unit_id"]):
        raise extension_records.missing(extension_id)
    return request


async def decide_extension(
    db: Database, *, extension_id: int, data: ExtensionDecision, actor: Principal, version: int | None = None
) -> ExtensionRow:
    """Approve or reject a pending request; approval moves the due date in the same transaction. The original
    due date (original_due_on) never moves, so both stay visible."""
    async with db.transaction() as conn:
        request = await extension_records.get_at(conn, extension_id, version)
        if request["status"] != ExtensionStatus.PENDING.value:
            raise Conflict(f"Extension request {extension_id} was already {request['status']}.")
        if data.approve:
            await _check_still_due(conn, request)
            moved = {"due_on": request["requested_due_on"]}
            if request["milestone_id"] is None:
                await item_records.update(conn, request["item_id"], moved, expected_version=None, actor=actor.subject)
            else:
                await milestone_records.update(
                    conn, request["milestone_id"], moved, expected_version=None, actor=actor.subject
                )
        decision = {
            "status": (ExtensionStatus.APPROVED if data.approve else ExtensionStatus.REJECTED).value,
            "decided_by": actor.subject,
            "decided_at": clock.now(),
            "decision_comment": data.comment,
        }
        # Guarded by the version read above: of two concurrent decisions, the second fails and moves nothing.
        decided = await extension_records.update(
            conn, extension_id, decision, expected_version=request["version"], actor=actor.subject
        )
        if data.approve:
            item = await item_records.get(conn, request["item_id"])
            named = await unit_name(conn, decided["unit_id"])
            await emit(conn, outbox_events, "deadline.extended", extended_event(decided, item, named))
        return decided


# -- the deadline calendar --------------------------------------------------------------------------


async def list_deadlines(
    db: Database,
    *,
    principal: Principal,
    from_: date,
    to: date,
    after: tuple[date, DeadlineKind, int] | None,
    limit: int,
    unit_id: int | None = None,
    plan_id: int | None = None,
    kind: DeadlineKind | None = None,
    item_number: str | None = None,
) -> list[DeadlineRow]:
    """Everything due in [from_, to], ordered by (due_on, kind, id); a unit token sees its own items only."""
    if to < from_:
        raise Unprocessable("to must not be before from.", at=("query", "to"))
    if (to - from_).days > MAX_WINDOW_DAYS:
        raise Unprocessable(f"The window from..to may span at most {MAX_WINDOW_DAYS} days.", at=("query", "to"))
    unit_id = principal.scoped_unit(unit_id)
    filters = repository.CalendarFilters(from_, to, plan_id=plan_id, item_number=item_number, unit_id=unit_id)
    return await repository.deadline_page(db, filters, after=after, limit=limit, kind=kind)
