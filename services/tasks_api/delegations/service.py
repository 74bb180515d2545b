"""Delegation rules (转办): a unit answering for an item (lead or co-operating), or holding an acknowledged
delegation on it, passes part of it down to one of its own sub-units; the delegate acknowledges (签收) and reports to
the delegating unit, which may withdraw (撤回) the delegation and, with it, what was passed on from it.

Every step is a compare-and-set on the delegation's status and version, is in the history and emits its event in
the same transaction. Delegating widens nothing a unit may see or change elsewhere: only the delegate, on the one
item, gains a duty (its report, reviewed by the delegating unit in reporting_api)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal, Role
from services.common.db import Database
from services.common.dialect import dialect_of
from services.common.etag import stale
from services.common.history import record_change
from services.common.outbox import emit
from services.common.problems import Conflict, Forbidden, Unprocessable
from services.common.records import at_version
from services.tasks_api.db import change_log, outbox_events
from services.tasks_api.delegations import repository
from services.tasks_api.delegations.events import delegation_event
from services.tasks_api.delegations.models import DelegationStatus
from services.tasks_api.delegations.repository import (
    DelegationRow,
    DelegationView,
    delegation_records,
    delegations,
    units,
)
from services.tasks_api.delegations.schemas import DelegationCreate
from services.tasks_api.items.models import ItemStatus
from services.tasks_api.items.repository import ItemRow, item_records, lock_item, responsibilities
from services.tasks_api.tables import UNIT_TREE_LOCK


def _delegating_unit(principal: Principal) -> int:
    if principal.role is not Role.UNIT or principal.unit_id is None:
        raise Forbidden("Only a unit passes work down to its sub-units (转办); the token names no unit.")
    return principal.unit_id


async def _standing(conn: AsyncConnection, item_id: int, unit_id: int) -> int | None:
    """None when the unit answers for the item itself; else the acknowledged delegation it holds on it (403 for
    neither: a unit passes down only what it was given; nor does a unit deleted since its token was issued)."""
    if await conn.scalar(select(units.c.id).where(units.c.id == unit_id)) is None:
        raise Forbidden(f"Unit {unit_id}, which the token names, no longer exists; it delegates nothing.")
    duty = select(responsibilities.c.id).where(
        responsibilities.c.item_id == item_id, responsibilities.c.unit_id == unit_id
    )
    if await conn.scalar(duty) is not None:
        return None
    held = await repository.active_on(conn, item_id, unit_id)
    if held is None or held["status"] != DelegationStatus.ACKNOWLEDGED.value:
        raise Forbidden(
            f"Only a unit responsible for item {item_id}, or holding an acknowledged delegation of it, may delegate it."
        )
    return held["id"]


async def _check_delegate(conn: AsyncConnection, item: ItemRow, unit_id: int, data: DelegationCreate) -> None:
    """The delegate is one of the unit's own sub-units, not already answering for the item; the due date fits."""
    found = (await conn.execute(select(units.c.parent_id).where(units.c.id == data.to_unit_id))).first()
    if found is None:
        raise Unprocessable(f"Unit {data.to_unit_id} does not exist.", at=("body", "to_unit_id"))
    if found.parent_id != unit_id:
        raise Unprocessable(
            f"Unit {data.to_unit_id} is not a sub-unit of unit {unit_id}: a unit delegates only to its own.",
            at=("body", "to_unit_id"),
        )
    if item["due_on"] is not None and data.due_on is not None and data.due_on > item["due_on"]:
        raise Unprocessable(f"due_on is after the item's due date {item['due_on']}.", at=("body", "due_on"))
    duty = select(responsibilities.c.id).where(
        responsibilities.c.item_id == item["id"], responsibilities.c.unit_id == data.to_unit_id
    )
    if await conn.scalar(duty) is not None:
        raise Conflict(f"Unit {data.to_unit_id} is itself responsible for item {item['id']}.")
    if (held := await repository.active_on(conn, item["id"], data.to_unit_id)) is not None:
        raise Conflict(f"Unit {data.to_unit_id} already holds delegation {held['id']} of item {item['id']}.")


async def delegate(db: Database, *, item_id: int, data: DelegationCreate, principal: Principal) -> DelegationView:
    """Pass part of an open item down to a sub-unit (转办); it waits for the delegate's acknowledgement."""
    unit_id = _delegating_unit(principal)
    async with db.transaction() as conn:
        # First: the units checked below are neither deleted nor moved until this delegation is in (UNIT_TREE_LOCK).
        await dialect_of(conn).writer_lock(conn, UNIT_TREE_LOCK)
        item = await lock_item(conn, item_id)  # one delegation per unit and item: checks and insert cannot race
        parent = await _standing(conn, item_id, unit_id)
        if item["status"] != ItemStatus.OPEN.value:
            raise Conflict(f"Item {item_id} is {item['status']}; only an open item is delegated.")
        await _check_delegate(conn, item, unit_id, data)
        row = await delegation_records.insert(
            conn,
            {
                "scope": data.scope,
                "due_on": data.due_on,
                "item_id": item_id,
                "parent_delegation_id": parent,
                "from_unit_id": unit_id,
                "to_unit_id": data.to_unit_id,
                "status": DelegationStatus.PENDING.value,
                "delegated_by": principal.subject,
                "delegated_at": clock.now(),
            },
            actor=principal.subject,
        )
        made = await repository.view(conn, row["id"])
        await emit(conn, outbox_events, "item.delegated", delegation_event(item, made, actor=principal.subject))
        return made


async def _seen(conn: AsyncConnection, delegation_id: int, version: int | None, principal: Principal) -> DelegationRow:
    """The delegation a step acts on: 404 to a unit that is no party to it, before its version is compared (a 412
    would tell that unit the delegation exists)."""
    before = await delegation_records.get(conn, delegation_id)
    if not principal.party_to(before["from_unit_id"], before["to_unit_id"]):
        raise delegation_records.missing(delegation_id)
    return at_version(before, version)


async def _move(
    conn: AsyncConnection, before: DelegationRow, changes: dict[str, object], *, version: int | None, actor: str
) -> DelegationView:
    """The compare-and-set of a step: `UPDATE … WHERE id AND version AND status` are those read."""
    after = await delegation_records.compare_and_set(conn, before, changes, actor=actor, guard=("status",))
    if after is None:
        if version is not None:
            raise stale(before["version"] + 1)
        raise Conflict(f"Delegation {before['id']} changed while this request ran; read it again and retry.")
    return await repository.view(conn, before["id"])


async def acknowledge(db: Database, *, delegation_id: int, version: int | None, principal: Principal) -> DelegationView:
    """签收: the delegate takes the delegation on; acknowledging twice changes nothing."""
    async with db.transaction() as conn:
        before = await _seen(conn, delegation_id, version, principal)
        if principal.unit_id != before["to_unit_id"]:
            raise Forbidden("Only the delegate unit acknowledges a delegation (签收).")
        if before["status"] == DelegationStatus.ACKNOWLEDGED.value:
            return await repository.view(conn, delegation_id)
        if before["status"] != DelegationStatus.PENDING.value:
            raise Conflict(f"Delegation {delegation_id} was {before['status']}; it can no longer be acknowledged.")
        changes: dict[str, object] = {
            "status": DelegationStatus.ACKNOWLEDGED.value,
            "acknowledged_by": principal.subject,
            "acknowledged_at": clock.now(),
        }
        after = await _move(conn, before, changes, version=version, actor=principal.subject)
        item = await item_records.get(conn, after["item_id"])
        await emit(
            conn, outbox_events, "delegation.acknowledged", delegation_event(item, after, actor=principal.subject)
        )
        return after


async def withdraw(db: Database, *, delegation_id: int, version: int | None, principal: Principal) -> DelegationView:
    """撤回: the delegating unit takes the delegation back, and with it whatever the delegate passed on from it."""
    async with db.transaction() as conn:
        before = await _seen(conn, delegation_id, version, principal)
        if principal.unit_id != before["from_unit_id"]:
            raise Forbidden("Only the delegating unit withdraws a delegation (撤回).")
        if before["status"] == DelegationStatus.WITHDRAWN.value:
            raise Conflict(f"Delegation {delegation_id} was already withdrawn.")
        await lock_item(conn, before["item_id"])
        item = await item_records.get(conn, before["item_id"])
        withdrawn = await _withdraw(conn, item, before, version=version, actor=principal.subject)
        return withdrawn


async def _withdraw(
    conn: AsyncConnection, item: ItemRow, before: DelegationRow, *, version: int | None, actor: str
) -> DelegationView:
    changes: dict[str, object] = {
        "status": DelegationStatus.WITHDRAWN.value,
        "withdrawn_by": actor,
        "withdrawn_at": clock.now(),
    }
    after = await _move(conn, before, changes, version=version, actor=actor)
    await emit(conn, outbox_events, "delegation.withdrawn", delegation_event(item, after, actor=actor))
    for below in await repository.active_below(conn, before["id"]):
        await _withdraw(conn, item, below, version=None, actor=actor)
    return after


async def withdraw_with_duty(conn: AsyncConnection, item: ItemRow, unit_id: int, *, actor: str) -> None:
    """The unit no longer answers for the item: what it passed down on that responsibility is withdrawn with it, and
    whatever its delegates passed on (each withdrawal in the history and published)."""
    for made in await repository.active_from_duty(conn, item["id"], unit_id):
        await _withdraw(conn, item, made, version=None, actor=actor)


async def delete_with_unit(conn: AsyncConnection, unit_id: int, *, actor: str) -> None:
    """Delete the delegations a unit being deleted made or received, and those passed on from them: each in the
    history and published (delegation.deleted), as the unit's foreign keys alone would drop them silently."""
    gone = await repository.gone_with_unit(conn, unit_id)
    if not gone:
        return
    gone_items = {item_id: await item_records.get(conn, item_id) for item_id in {row["item_id"] for row in gone}}
    for row in gone:
        stored = {key: value for key, value in row.items() if key not in ("from_unit_name", "to_unit_name")}
        await record_change(
            conn, change_log, entity="delegation", entity_id=row["id"], action="delete", actor=actor, before=stored
        )
        await emit(
            conn, outbox_events, "delegation.deleted", delegation_event(gone_items[row["item_id"]], row, actor=actor)
        )
    await conn.execute(delegations.delete().where(delegations.c.id.in_([row["id"] for row in gone])))


def _visible(principal: Principal) -> list[ColumnElement[bool]]:
    """A unit sees the delegations it made or received; the office, viewers and services see every one."""
    if principal.role is not Role.UNIT:
        return []
    mine = principal.own_unit
    return [(delegations.c.from_unit_id == mine) | (delegations.c.to_unit_id == mine)]


async def list_delegations(
    db: Database, *, item_id: int, principal: Principal, after_id: int | None, limit: int
) -> list[DelegationView]:
    """The chain of an item's delegations, oldest first (the office sees all of it; a unit its own links)."""
    async with db.read() as conn:
        await item_records.get(conn, item_id)
        where = [delegations.c.item_id == item_id, *_visible(principal)]
        return await repository.view_page(conn, where, after_id=after_id, limit=limit)


async def get_delegation(db: Database, *, delegation_id: int, principal: Principal) -> DelegationView:
    async with db.read() as conn:
        await delegation_records.get(conn, delegation_id)
        found = await repository.view(conn, delegation_id)
    if not principal.party_to(found["from_unit_id"], found["to_unit_id"]):
        raise delegation_records.missing(delegation_id)
    return found
