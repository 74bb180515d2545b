"""Event intake and fan-out: an event received once becomes one webhook notification per matching subscription.

Producers relay their outboxes at least once, so an event may arrive twice; its `event_id` is unique in
`received_events`, and the fan-out happens in the transaction that records it, so a repeat finds the event
already there and queues nothing. The notifications are ordinary outbox rows (purpose "event", channel
"webhook", recipient a subscription), delivered, signed, retried and recorded by the deliveries machinery.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.correlation import trace_headers
from services.common.db import Database
from services.common.events.catalogue import links_of, version_of
from services.common.json import JsonObject, instant_text
from services.common.outbox import plain_data
from services.notify_api.deliveries.models import Status
from services.notify_api.events import repository
from services.notify_api.events.mentions import unit_notifications
from services.notify_api.events.repository import NewEvent, ReceivedEventRow, notifications, subscriptions
from services.notify_api.events.schemas import EventIn, EventReceipt

LOCAL_SOURCE = "notify_api"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def _record(conn: AsyncConnection, event: NewEvent, base_url: str) -> tuple[ReceivedEventRow, int | None]:
    """The stored event and how many notifications it fanned out to; None when it had been received before."""
    if (known := await repository.received(conn, event["event_id"])) is not None:
        return known, None
    try:
        async with conn.begin_nested():  # a concurrent copy of the same event may commit first
            row = await repository.insert_event(conn, event, received_at=clock.now())
    except IntegrityError:
        known = await repository.received(conn, event["event_id"])
        if known is None:
            raise
        return known, None
    return row, await _fan_out(conn, row, base_url)


async def _fan_out(conn: AsyncConnection, event: ReceivedEventRow, base_url: str) -> int:
    """One pending webhook notification per enabled subscription that takes this type of event: the message of the
    catalogue (services/common/events), with the version of its payload and the pages people see it on."""
    found = await conn.execute(
        select(subscriptions.c.id, subscriptions.c.event_types)
        .where(subscriptions.c.enabled.is_(True))
        .order_by(subscriptions.c.id)
    )
    now = clock.now()
    data = event["data"]
    payload = _message(event, base_url)
    traceparent = trace_headers().get("traceparent")  # the relay's POST carries the producing request's
    rows = [
        {
            "dedupe_key": f"event:{event['event_id']}:sub:{sub_id}",
            "purpose": "event",
            "step": event["type"],
            "plan_id": _id(data, "plan_id"),
            "item_id": _id(data, "item_id"),
            "unit_id": _id(data, "unit_id"),
            "recipient_kind": "subscription",
            "recipient_id": sub_id,
            "contact_id": sub_id,
            "channel": "webhook",
            "payload": payload,
            "webhook_id": "msg_" + uuid.uuid4().hex,
            "traceparent": traceparent,
            "status": Status.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for sub_id, event_types in found.all()
        if event["type"] in event_types
    ]
    # An instruction for a unit (领导批示, @) reaches the unit's own contacts too.
    rows += await unit_notifications(conn, event["event_id"], event["type"], payload, now=now, trace=traceparent)
    if rows:
        await conn.execute(notifications.insert(), rows)
    return len(rows)


def _message(event: ReceivedEventRow, base_url: str) -> JsonObject:
    """The webhook body of an event (the catalogue's WebhookMessage): its data as received, the version of its
    payload and the pages of its item and report."""
    return {
        "type": event["type"],
        "version": version_of(event["type"]),
        "timestamp": instant_text(event["occurred_at"]),
        "data": event["data"],
        "links": links_of(event["data"], base_url),
    }


def _id(data: dict[str, Any], key: str) -> int | None:
    """An id from the event's data, for the notification list's filters; anything else is left out."""
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def receive_event(db: Database, *, event: EventIn, base_url: str) -> EventReceipt:
    """Record a relayed event and queue its deliveries, once per event_id."""
    values = NewEvent(
        event_id=event.event_id,
        type=event.type,
        source=event.source,
        occurred_at=_utc(event.occurred_at),
        data=event.data,
    )
    async with db.transaction() as conn:
        row, queued = await _record(conn, values, base_url)
    return EventReceipt.model_validate({**row, "duplicate": queued is None, "notifications": queued or 0})


async def publish_local_event(
    conn: AsyncConnection, type_: str, data: Mapping[str, Any], *, base_url: str, event_id: str | None = None
) -> int:
    """Fan out an event notify_api makes itself (notice.escalated), in the caller's transaction.

    Pass a stable `event_id` (at most 64 characters) derived from what the event is about, and calling this
    twice for the same thing queues nothing the second time. Returns the notifications queued."""
    event = NewEvent(
        event_id=event_id or str(uuid.uuid4()),
        type=type_,
        source=LOCAL_SOURCE,
        occurred_at=clock.now(),
        data=plain_data(dict(data)),
    )
    _, queued = await _record(conn, event, base_url)
    return queued or 0


async def is_subscribed(conn: AsyncConnection, event_type: str) -> bool:
    """Whether an enabled subscription takes this type of event (else a producer need not build it)."""
    found = await conn.execute(select(subscriptions.c.event_types).where(subscriptions.c.enabled.is_(True)))
    return any(event_type in event_types for (event_types,) in found.all())
