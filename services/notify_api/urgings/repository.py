"""The urgings room's SQL: a unit's enabled contacts, and the notices an urging queues in the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.tables import table_of
from services.notify_api.contacts.models import Contact, OwnerKind
from services.notify_api.deliveries.models import Notification
from services.notify_api.urgings.schemas import UrgingPayload

notifications, contacts = table_of(Notification), table_of(Contact)


class NoticeRow(TypedDict):
    """An urging's notice to one contact of the unit, as queued (the outbox's columns it sets)."""

    dedupe_key: str
    purpose: str
    level: str
    step: str
    plan_id: int | None
    item_id: int | None
    unit_id: int
    recipient_kind: str
    recipient_id: int
    contact_id: int
    channel: str
    payload: UrgingPayload
    webhook_id: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime


async def unit_contacts(conn: AsyncConnection, unit_id: int) -> list[tuple[int, str]]:
    """(id, channel) of the unit's enabled contacts, in id order."""
    c = contacts.c
    found = await conn.execute(
        select(c.id, c.channel)
        .where(c.owner_kind == OwnerKind.UNIT.value, c.owner_id == unit_id, c.enabled.is_(True))
        .order_by(c.id)
    )
    return [(contact_id, channel) for contact_id, channel in found.all()]


async def queue_notices(conn: AsyncConnection, rows: Sequence[NoticeRow]) -> None:
    """Queue the notices for the deliverer (pending, due now), in the caller's transaction."""
    if rows:
        await conn.execute(notifications.insert(), list(rows))
