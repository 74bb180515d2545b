"""The delegations' SQL, as typed rows: the stored record, and the record with its two units' names."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import Records, rows_of
from services.common.tables import table_of
from services.tasks_api.db import change_log
from services.tasks_api.delegations.models import Delegation, DelegationStatus
from services.tasks_api.tables import Unit

delegations, units = table_of(Delegation), table_of(Unit)
delegation_records: Records[DelegationRow] = Records(delegations, "delegation", change_log)
ACTIVE = (DelegationStatus.PENDING.value, DelegationStatus.ACKNOWLEDGED.value)


class DelegationRow(TypedDict):
    """A delegation as stored."""

    id: int
    item_id: int
    parent_delegation_id: int | None
    from_unit_id: int
    to_unit_id: int
    scope: str
    due_on: date | None
    status: str
    delegated_by: str
    delegated_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    withdrawn_by: str | None
    withdrawn_at: datetime | None
    version: int


class DelegationView(DelegationRow):
    """A delegation with the names of its two units (DelegationPublic)."""

    from_unit_name: str
    to_unit_name: str


_from, _to = units.alias("from_unit"), units.alias("to_unit")
VIEW = (
    select(delegations, _from.c.name.label("from_unit_name"), _to.c.name.label("to_unit_name"))
    .join(_from, _from.c.id == delegations.c.from_unit_id)
    .join(_to, _to.c.id == delegations.c.to_unit_id)
)


async def view_page(
    conn: AsyncConnection, where: list[ColumnElement[bool]], *, after_id: int | None, limit: int
) -> list[DelegationView]:
    """`limit + 1` delegations in id order after the cursor, with their units' names."""
    query = VIEW.where(*where).order_by(delegations.c.id).limit(limit + 1)
    if after_id is not None:
        query = query.where(delegations.c.id > after_id)
    return await rows_of(conn, query, DelegationView)


async def view(conn: AsyncConnection, delegation_id: int) -> DelegationView:
    """The delegation with its units' names (it exists: read or written in the same transaction)."""
    return (await view_page(conn, [delegations.c.id == delegation_id], after_id=None, limit=1))[0]


async def active_on(conn: AsyncConnection, item_id: int, unit_id: int) -> DelegationRow | None:
    """The delegation the unit holds on the item and that is not withdrawn, if any."""
    query = select(delegations).where(
        delegations.c.item_id == item_id, delegations.c.to_unit_id == unit_id, delegations.c.status.in_(ACTIVE)
    )
    found = await rows_of(conn, query.limit(1), DelegationRow)
    return found[0] if found else None


async def active_from_duty(conn: AsyncConnection, item_id: int, unit_id: int) -> list[DelegationRow]:
    """The delegations a unit made of an item on its own responsibility (not passed on from one it received), not
    withdrawn."""
    query = select(delegations).where(
        delegations.c.item_id == item_id,
        delegations.c.from_unit_id == unit_id,
        delegations.c.parent_delegation_id.is_(None),
        delegations.c.status.in_(ACTIVE),
    )
    return await rows_of(conn, query.order_by(delegations.c.id), DelegationRow)


async def active_below(conn: AsyncConnection, delegation_id: int) -> list[DelegationRow]:
    """The delegations passed on from this one (one level down) and not withdrawn."""
    query = select(delegations).where(
        delegations.c.parent_delegation_id == delegation_id, delegations.c.status.in_(ACTIVE)
    )
    return await rows_of(conn, query.order_by(delegations.c.id), DelegationRow)


async def gone_with_unit(conn: AsyncConnection, unit_id: int) -> list[DelegationView]:
    """The delegations the unit made or received and every one passed on from them (all go with the unit), in id
    order."""
    found = await rows_of(
        conn,
        VIEW.where((delegations.c.from_unit_id == unit_id) | (delegations.c.to_unit_id == unit_id)),
        DelegationView,
    )
    seen = {row["id"] for row in found}
    frontier = set(seen)
    while frontier:
        below_query = VIEW.where(delegations.c.parent_delegation_id.in_(frontier), delegations.c.id.not_in(seen))
        below = await rows_of(conn, below_query, DelegationView)
        frontier = {row["id"] for row in below}
        seen |= frontier
        found += below
    return sorted(found, key=lambda row: row["id"])
