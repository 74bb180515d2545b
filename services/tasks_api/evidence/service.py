"""The owners of tasks_api's evidence, one loader each (services/common/evidence/service.py, OwnerLoader).

A close-out request's files are its unit's: that unit (and the admin) attaches and deletes them while the request is
pending; the office reads them to decide, and once it decided they are on record. Another unit sees none of them.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal, Role
from services.common.db import Database
from services.common.evidence.service import Owner, closed
from services.common.problems import Forbidden, NotFound
from services.common.records import rows_of
from services.tasks_api.closeout.models import CloseoutStatus
from services.tasks_api.closeout.repository import CloseoutRow, closeout_records, closeouts

CLOSEOUT = "closeout"


async def closeout_owner(db: Database, closeout_id: int, principal: Principal, write: bool) -> Owner:
    """A close-out request as evidence's owner: 404 for another unit's, 403 for a write by anyone but its unit."""
    async with db.read() as conn:
        request = await closeout_records.get(conn, closeout_id)
    if not principal.party_to(request["unit_id"]):
        raise closeout_records.missing(closeout_id)
    if write and principal.role not in (Role.ADMIN, Role.UNIT):
        raise Forbidden("Only the unit that asked for the close-out attaches its evidence.")
    pending = request["status"] == CloseoutStatus.PENDING.value
    if write and not pending:
        raise closed(f"close-out request {closeout_id}")
    return Owner(CLOSEOUT, closeout_id, request["unit_id"], 0, pending, partial(_lock_closeout, closeout_id))


async def _lock_closeout(closeout_id: int, conn: AsyncConnection) -> int:
    """In the write's transaction: the request locked and still pending (the office has not decided meanwhile)."""
    query = select(closeouts).where(closeouts.c.id == closeout_id).with_for_update()
    found = await rows_of(conn, query, CloseoutRow)
    if not found:
        raise NotFound(f"Closeout {closeout_id} does not exist.")
    if found[0]["status"] != CloseoutStatus.PENDING.value:
        raise closed(f"close-out request {closeout_id}")
    return 0
