"""Writing contacts and notifications straight into notify_api's database, and running the deliverer on it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select

from services.common import clock
from services.common.db import Database, make_engine
from services.common.secrets import SecretBox
from services.notify_api.contacts.models import Contact
from services.notify_api.contacts.service import stored_target
from services.notify_api.deliveries.clock import aware_row
from services.notify_api.deliveries.models import DeliveryAttempt, Notification
from services.notify_api.deliveries.repository import AttemptRow, NotificationRow
from services.notify_api.events.models import Subscription
from services.notify_api.settings import NotifySettings

T = TypeVar("T")
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, a working Monday

notifications, attempts = Notification.__table__, DeliveryAttempt.__table__

PAYLOAD = {
    "subject": "【督办提醒】1.1 推进长三角一体化 还有3天到期",
    "text": "衢州市发展和改革委员会：您单位牵头的事项 1.1 将于2026年3月5日到期，还有3天。",
    "markdown": "### 督办提醒\n事项 **1.1** 还有 **3** 天到期",
    "data": {
        "plan_id": 1,
        "item_id": 11,
        "item_number": "1.1",
        "deadline_kind": "item",
        "due_on": "2026-03-05",
        "days_left": 3,
        "role": "lead",
        "level": "blue",
        "link": "http://127.0.0.1:8000/plans/1/items/11",
    },
}


def run(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` against the database at `url` on a fresh engine (tests are synchronous)."""

    async def main() -> T:
        db = Database(make_engine(url))
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


async def add_contact(
    db: Database,
    settings: NotifySettings,
    *,
    channel: str,
    target: str,
    secret: str | None = None,
    owner_kind: str = "unit",
    owner_id: int = 1,
    enabled: bool = True,
    seal_target: bool = True,
) -> int:
    """A contact stored as the service stores it; seal_target=False: as written before targets were sealed."""
    now = clock.now()
    box = SecretBox(settings.secret_key)
    sealed = box.seal(secret) if secret else None
    shown, sealed_target = stored_target(box, target) if seal_target else (target, None)
    async with db.transaction() as conn:
        return (
            await conn.execute(
                Contact.__table__.insert()
                .values(
                    owner_kind=owner_kind,
                    owner_id=owner_id,
                    channel=channel,
                    target=shown,
                    target_sealed=sealed_target,
                    label="",
                    enabled=enabled,
                    secret_encrypted=sealed,
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
                .returning(Contact.__table__.c.id)
            )
        ).scalar_one()


async def add_subscription(db: Database, settings: NotifySettings, *, url: str, secret: str) -> int:
    async with db.transaction() as conn:
        return (
            await conn.execute(
                Subscription.__table__.insert()
                .values(
                    url=url,
                    event_types=["report.submitted"],
                    secret_encrypted=SecretBox(settings.secret_key).seal(secret),
                    created_by="test",
                    created_at=clock.now(),
                )
                .returning(Subscription.__table__.c.id)
            )
        ).scalar_one()


async def add_notification(
    db: Database, *, contact_id: int, channel: str, unit_id: int = 1, next_attempt_at: datetime = T0, **values: Any
) -> NotificationRow:
    row = {
        "dedupe_key": f"test:{uuid.uuid4().hex}",
        "purpose": "reminder",
        "level": "blue",
        "step": "before-3",
        "plan_id": 1,
        "item_id": 11,
        "unit_id": unit_id,
        "deadline_kind": "item",
        "deadline_id": 11,
        "recipient_kind": "unit",
        "recipient_id": unit_id,
        "contact_id": contact_id,
        "channel": channel,
        "payload": PAYLOAD,
        "webhook_id": "msg_" + uuid.uuid4().hex,
        "next_attempt_at": next_attempt_at,
        "created_at": next_attempt_at,
        **values,
    }
    async with db.transaction() as conn:
        return aware_row(
            (await conn.execute(notifications.insert().values(**row).returning(*notifications.c))).mappings().one(),
            NotificationRow,
        )


async def notification(db: Database, notification_id: int) -> NotificationRow:
    async with db.read() as conn:
        row = (await conn.execute(select(notifications).where(notifications.c.id == notification_id))).mappings()
        return aware_row(row.one(), NotificationRow)


async def contact_row(db: Database, contact_id: int) -> dict[str, Any]:
    async with db.read() as conn:
        return dict(
            (await conn.execute(select(Contact.__table__).where(Contact.__table__.c.id == contact_id))).mappings().one()
        )


async def attempts_of(db: Database, notification_id: int) -> list[AttemptRow]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(attempts).where(attempts.c.notification_id == notification_id).order_by(attempts.c.number)
        )
        return [aware_row(r, AttemptRow) for r in rows.mappings()]


async def contact_enabled(db: Database, contact_id: int) -> bool:
    async with db.read() as conn:
        return (
            await conn.execute(select(Contact.__table__.c.enabled).where(Contact.__table__.c.id == contact_id))
        ).scalar_one()
