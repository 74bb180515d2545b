"""The events room's SQL: received events and subscriptions, as typed rows (a subscription's secret only in
SubscriptionRow, never in what is shown)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, TypedDict, cast

from sqlalchemy import null, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import Records
from services.common.tables import table_of
from services.notify_api.db import change_log
from services.notify_api.deliveries.models import Notification
from services.notify_api.deliveries.targets import SealedTarget
from services.notify_api.events.models import ReceivedEvent, Subscription

received_events, subscriptions = table_of(ReceivedEvent), table_of(Subscription)
notifications = table_of(Notification)
subscription_records: Records[SubscriptionRow] = Records(subscriptions, "subscription", change_log)
SECRET = "secret_encrypted"
LIST_COLUMNS = [c for c in subscriptions.c if c.name != SECRET]
TARGET_COLUMNS = (
    subscriptions.c.id,
    subscriptions.c.url.label("address"),
    null().label("address_sealed"),  # a subscription's URL carries no token: it is stored in clear
    subscriptions.c.secret_encrypted,
    subscriptions.c.enabled,
)


class NewEvent(TypedDict):
    """An event to record: relayed by a producer, or made by notify_api itself."""

    event_id: str
    type: str
    source: str
    occurred_at: datetime
    data: dict[str, Any]  # the producer's JSON, passed on to subscribers as it is


class ReceivedEventRow(NewEvent):
    id: int
    received_at: datetime


class SubscriptionShown(TypedDict):
    """A subscription as callers see it: everything but its sealed secret."""

    id: int
    url: str
    event_types: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    created_by: str
    created_at: datetime
    version: int


class SubscriptionRow(SubscriptionShown):
    secret_encrypted: bytes


class SubscriptionWithSecret(SubscriptionShown):
    """A new subscription and its secret in clear, shown this once."""

    secret: str


def shown(row: SubscriptionRow) -> SubscriptionShown:
    return SubscriptionShown(
        id=row["id"],
        url=row["url"],
        event_types=row["event_types"],
        description=row["description"],
        enabled=row["enabled"],
        disabled_reason=row["disabled_reason"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        version=row["version"],
    )


async def received(conn: AsyncConnection, event_id: str) -> ReceivedEventRow | None:
    row = (await conn.execute(select(received_events).where(received_events.c.event_id == event_id))).mappings().first()
    return cast(ReceivedEventRow, dict(row)) if row else None


async def insert_event(conn: AsyncConnection, event: NewEvent, *, received_at: datetime) -> ReceivedEventRow:
    statement = received_events.insert().values(**event, received_at=received_at).returning(*received_events.c)
    return cast(ReceivedEventRow, dict((await conn.execute(statement)).mappings().one()))


async def insert_subscription(conn: AsyncConnection, values: dict[str, Any]) -> SubscriptionRow:
    statement = subscriptions.insert().values(**values).returning(*subscriptions.c)
    return cast(SubscriptionRow, dict((await conn.execute(statement)).mappings().one()))


async def subscription_page(conn: AsyncConnection, *, after_id: int | None, limit: int) -> list[SubscriptionShown]:
    rows = await subscription_records.page(conn, after_id=after_id, limit=limit, columns=LIST_COLUMNS)
    return cast(list[SubscriptionShown], rows)


async def get_subscription(conn: AsyncConnection, subscription_id: int) -> SubscriptionRow:
    """The subscription, or 404."""
    return await subscription_records.get(conn, subscription_id)


async def find_subscription(conn: AsyncConnection, subscription_id: int) -> SubscriptionRow | None:
    return await subscription_records.find(conn, subscription_id)


async def sealed_targets(conn: AsyncConnection, ids: Collection[int]) -> list[SealedTarget]:
    rows = await conn.execute(select(*TARGET_COLUMNS).where(subscriptions.c.id.in_(ids)))
    return [cast(SealedTarget, dict(row)) for row in rows.mappings()]


async def update_subscription(
    conn: AsyncConnection, subscription_id: int, changes: dict[str, Any], *, expected_version: int | None, actor: str
) -> SubscriptionRow:
    row = await subscription_records.update(
        conn, subscription_id, changes, expected_version=expected_version, actor=actor
    )
    return row
