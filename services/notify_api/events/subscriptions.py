"""Subscriptions of other municipal systems to plan events (office and admins manage them).

A subscription's `whsec_` secret is generated here, sealed at rest (SecretBox) and shown only at creation
and at rotation. The change history never holds a secret, sealed or not.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal
from services.common.db import Database
from services.common.etag import stale
from services.common.history import record_change
from services.common.secrets import SecretBox, new_webhook_secret
from services.notify_api.contacts.targets import check_url
from services.notify_api.db import change_log
from services.notify_api.deliveries.models import Status
from services.notify_api.deliveries.targets import SealedTarget
from services.notify_api.events import repository
from services.notify_api.events.repository import (
    SECRET,
    SubscriptionShown,
    SubscriptionWithSecret,
    notifications,
    shown,
    subscriptions,
)
from services.notify_api.events.schemas import RotatedSecret, SecretRotation, SubscriptionCreate, SubscriptionUpdate
from services.notify_api.settings import NotifySettings


def _url(settings: NotifySettings, url: str) -> str:
    return check_url(url.strip(), private_allowed=settings.private_targets_allowed, field="url")


async def create_subscription(
    db: Database, settings: NotifySettings, *, data: SubscriptionCreate, actor: Principal
) -> SubscriptionWithSecret:
    """The new subscription with its secret, to be shown this once."""
    secret = new_webhook_secret()
    values = {
        "url": _url(settings, data.url),
        "event_types": list(dict.fromkeys(data.event_types)),
        "description": data.description,
        SECRET: SecretBox(settings.secret_key).seal(secret),
        "enabled": True,
        "created_by": actor.subject,
        "created_at": clock.now(),
        "version": 1,
    }
    async with db.transaction() as conn:
        row = await repository.insert_subscription(conn, values)
        await record_change(
            conn,
            change_log,
            entity="subscription",
            entity_id=row["id"],
            action="create",
            actor=actor.subject,
            after=shown(row),
        )
    return SubscriptionWithSecret(**shown(row), secret=secret)


async def list_subscriptions(db: Database, *, after_id: int | None, limit: int) -> list[SubscriptionShown]:
    async with db.read() as conn:
        return await repository.subscription_page(conn, after_id=after_id, limit=limit)


async def get_subscription(db: Database, *, subscription_id: int) -> SubscriptionShown:
    async with db.read() as conn:
        return shown(await repository.get_subscription(conn, subscription_id))


async def update_subscription(
    db: Database,
    settings: NotifySettings,
    *,
    subscription_id: int,
    data: SubscriptionUpdate,
    version: int,
    actor: Principal,
) -> SubscriptionShown:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("url") is not None:
        changes["url"] = _url(settings, changes["url"])
    if changes.get("event_types") is not None:
        changes["event_types"] = list(dict.fromkeys(changes["event_types"]))
    if changes.get("enabled") is True:
        changes["disabled_reason"] = None
    elif changes.get("enabled") is False:
        changes["disabled_reason"] = "disabled by " + actor.subject
    async with db.transaction() as conn:
        row = await repository.update_subscription(
            conn, subscription_id, changes, expected_version=version, actor=actor.subject
        )
    return shown(row)


async def delete_subscription(db: Database, *, subscription_id: int, version: int, actor: Principal) -> None:
    """Delete it and cancel what is still queued for it (an id may be reused by a later subscription on SQLite)."""
    async with db.transaction() as conn:
        before = await repository.get_subscription(conn, subscription_id)
        if before["version"] != version:
            raise stale(before["version"])
        await conn.execute(subscriptions.delete().where(subscriptions.c.id == subscription_id))
        await record_change(
            conn,
            change_log,
            entity="subscription",
            entity_id=subscription_id,
            action="delete",
            actor=actor.subject,
            before=shown(before),
        )
        await _cancel_queued(conn, subscription_id)


async def _cancel_queued(conn: AsyncConnection, subscription_id: int) -> None:
    n = notifications.c
    await conn.execute(
        notifications.update()
        .where(
            n.recipient_kind == "subscription",
            n.recipient_id == subscription_id,
            n.status.in_([Status.PENDING.value, Status.SENDING.value]),
        )
        .values(status=Status.CANCELLED.value, lease_until=None, last_error="The subscription was deleted.")
    )


async def rotate_subscription_secret(
    db: Database, settings: NotifySettings, *, subscription_id: int, rotation: SecretRotation, actor: Principal
) -> RotatedSecret:
    """A new secret, in force at once; with keep_previous, messages are signed with the previous one too
    (Standard Webhooks' space-separated signatures) until the next rotation."""
    box, secret = SecretBox(settings.secret_key), new_webhook_secret()
    async with db.transaction() as conn:
        row = await repository.get_subscription(conn, subscription_id)
        signing = f"{secret} {box.open(row['secret_encrypted']).split()[0]}" if rotation.keep_previous else secret
        stored = (
            await conn.execute(
                subscriptions.update()
                .where(subscriptions.c.id == subscription_id, subscriptions.c.version == row["version"])
                .values(**{SECRET: box.seal(signing)}, version=row["version"] + 1)
                .returning(subscriptions.c.version)
            )
        ).first()
        if stored is None:
            raise stale(row["version"] + 1)
        await record_change(
            conn,
            change_log,
            entity="subscription",
            entity_id=subscription_id,
            action="update",
            actor=actor.subject,
            before={"secret": "(sealed)"},
            after={"secret": "(rotated, previous kept)" if rotation.keep_previous else "(rotated)"},
        )
    return RotatedSecret(
        id=subscription_id, secret=secret, previous_kept=rotation.keep_previous, version=stored.version
    )


class SubscriptionTargets:
    """Subscriptions as the deliverer reads them: its TargetSource of the events fanned out to other systems."""

    async def sealed_targets(self, conn: AsyncConnection, ids: Collection[int]) -> list[SealedTarget]:
        return await repository.sealed_targets(conn, ids)

    async def disable(self, conn: AsyncConnection, target_id: int, *, reason: str, actor: str) -> None:
        """The receiver asked us to stop (410 Gone): disable the subscription, saying why."""
        if await repository.find_subscription(conn, target_id) is None:  # deleted meanwhile: nothing to disable
            return
        changes = {"enabled": False, "disabled_reason": reason[:200]}
        await repository.update_subscription(conn, target_id, changes, expected_version=None, actor=actor)
