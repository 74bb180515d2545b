"""Reliable delivery of the outbox: claim due notifications, send them, record every attempt.

Claiming is one `UPDATE … RETURNING` that marks due rows `sending` with a lease:
- on PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED`, so replicas never wait for, nor
  take, each other's rows; the UPDATE re-checks that each row is still due, so a row claimed by another
  deliverer meanwhile is never claimed twice;
- on SQLite the same single statement takes SQLite's only write lock before it reads (as BEGIN IMMEDIATE
  would), so claims from any number of deliverers or processes run one at a time.
A deliverer that dies after claiming loses nothing: when the lease runs out the rows are due again, and
they go out with the same `webhook_id` (receivers drop the duplicate). Each result is written only while
the claim is still ours (status `sending` and the attempt count we claimed), so a late deliverer cannot
overwrite a newer one's result; its attempt is still logged.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import Database
from services.common.records import Records
from services.common.secrets import SecretBox
from services.notify_api.contacts.models import Contact
from services.notify_api.db import change_log
from services.notify_api.deliveries.channels import Channels, Outcome, Target, Verdict
from services.notify_api.deliveries.clock import aware_row, utc
from services.notify_api.deliveries.models import DeliveryAttempt, Notification, Status
from services.notify_api.events.models import Subscription
from services.notify_api.settings import NotifySettings

logger = logging.getLogger("duban.deliveries")

notifications, attempts = Notification.__table__, DeliveryAttempt.__table__
contacts, subscriptions = Contact.__table__, Subscription.__table__
contact_records = Records(contacts, "contact", change_log)
subscription_records = Records(subscriptions, "subscription", change_log)

CONCURRENCY = 16   # sends in flight per deliverer
JITTER = 0.1       # ±10 % on every scheduled delay, so retries of one outage do not arrive in lockstep
ACTOR = "notify_api-deliverer"


@dataclass(slots=True)
class DeliveryCounts:
    sent: int = 0
    failed: int = 0  # not delivered in this run: retried later, dead or cancelled

    def __iadd__(self, other: DeliveryCounts) -> DeliveryCounts:
        self.sent += other.sent
        self.failed += other.failed
        return self


def is_due(now: datetime) -> Any:
    """Pending and due, or claimed by a deliverer whose lease ran out."""
    n = notifications.c
    return or_(and_(n.status == Status.PENDING.value, n.next_attempt_at <= now),
               and_(n.status == Status.SENDING.value, n.lease_until < now))


async def claim(db: Database, settings: NotifySettings, *, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Mark up to `limit` due notifications `sending` under a lease, in one short transaction."""
    now = utc(now)
    n = notifications.c
    # MATERIALIZED: the pick runs once. Inlined as `id IN (subquery)`, PostgreSQL may re-run the locking
    # subquery while updating and claim more than `limit` rows.
    picked = (select(n.id).where(is_due(now)).order_by(n.next_attempt_at, n.id).limit(limit)
              .with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED"))
    statement = (notifications.update().where(n.id == picked.c.id, is_due(now))
                 .values(status=Status.SENDING.value, lease_until=now + timedelta(seconds=settings.lease_seconds),
                         attempts=n.attempts + 1)
                 .returning(*notifications.c))
    async with db.transaction() as conn:
        rows = (await conn.execute(statement)).mappings().all()
    return sorted((aware_row(r) for r in rows), key=lambda r: r["id"])


async def deliver_due(db: Database, settings: NotifySettings, *, now: datetime, limit: int = 200) -> DeliveryCounts:
    """Claim up to `limit` due notifications and deliver them, at most CONCURRENCY at once."""
    claimed = await claim(db, settings, now=now, limit=limit)
    if not claimed:
        return DeliveryCounts()
    targets = await load_targets(db, settings, claimed)
    channels = Channels(settings)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(row: dict[str, Any]) -> bool:
        async with gate:
            return await deliver_one(db, settings, channels, row, targets.get(_target_key(row)), now=utc(now))

    try:
        results = await asyncio.gather(*(one(row) for row in claimed), return_exceptions=True)
    finally:
        await channels.aclose()
    counts = DeliveryCounts()
    for row, result in zip(claimed, results, strict=True):
        if isinstance(result, BaseException):  # the database failed: the lease brings the row back later
            logger.error("recording delivery of notification %s failed: %r", row["id"], result)
            counts.failed += 1
        elif result:
            counts.sent += 1
        else:
            counts.failed += 1
    return counts


async def deliver_all_due(db: Database, settings: NotifySettings, *, now: datetime,
                          batch: int = 200) -> DeliveryCounts:
    """Deliver batches until nothing more is due (each row is claimed at most once per schedule step)."""
    total = DeliveryCounts()
    while True:
        counts = await deliver_due(db, settings, now=now, limit=batch)
        total += counts
        if counts.sent + counts.failed < batch:
            return total


def _target_key(row: dict[str, Any]) -> tuple[str, int | None]:
    return ("subscription" if row["recipient_kind"] == "subscription" else "contact", row["contact_id"])


async def load_targets(db: Database, settings: NotifySettings,
                       rows: list[dict[str, Any]]) -> dict[tuple[str, int | None], Target | str]:
    """Each row's target with its secret opened, or why it cannot be sent (disabled, missing, bad secret)."""
    box = SecretBox(settings.secret_key)
    wanted: dict[str, set[int]] = {"contact": set(), "subscription": set()}
    for row in rows:
        kind, target_id = _target_key(row)
        if target_id is not None:
            wanted[kind].add(target_id)
    found: dict[tuple[str, int | None], Target | str] = {}
    async with db.read() as conn:
        for kind, table, address in (("contact", contacts, contacts.c.target),
                                     ("subscription", subscriptions, subscriptions.c.url)):
            if not wanted[kind]:
                continue
            query = select(table.c.id, address.label("address"), table.c.secret_encrypted, table.c.enabled)
            for target in (await conn.execute(query.where(table.c.id.in_(wanted[kind])))).mappings():
                found[(kind, target["id"])] = _target(kind, target, box)
    return found


def _target(kind: str, row: Any, box: SecretBox) -> Target | str:
    if not row["enabled"]:
        return f"The {kind} {row['id']} is disabled."
    try:
        secret = box.open(row["secret_encrypted"]) if row["secret_encrypted"] else None
    except Exception:  # noqa: BLE001 - a key change makes every old secret unreadable
        return f"The secret of {kind} {row['id']} cannot be decrypted (was NOTIFY_API_SECRET_KEY changed?)."
    return Target(kind, row["id"], row["address"], secret)


async def deliver_one(db: Database, settings: NotifySettings, channels: Channels, row: dict[str, Any],
                      target: Target | str | None, *, now: datetime) -> bool:
    """Send one claimed notification and record the result; True when it was delivered."""
    if not isinstance(target, Target):
        reason = target or f"The {_target_key(row)[0]} {row['contact_id']} no longer exists."
        await _finish(db, row, {"status": Status.CANCELLED.value, "lease_until": None, "last_error": reason})
        return False
    started = time.perf_counter()
    outcome = await channels.send(row, target)
    latency_ms = round((time.perf_counter() - started) * 1000)
    await _finish(db, row, after_outcome(settings, row, outcome, now=now), outcome=outcome, latency_ms=latency_ms,
                  at=now, target=target)
    return outcome.verdict is Verdict.DELIVERED


def after_outcome(settings: NotifySettings, row: dict[str, Any], outcome: Outcome, *,
                  now: datetime) -> dict[str, Any]:
    """The row's next state: delivered; dead; or pending until the next step of the retry schedule."""
    if outcome.verdict is Verdict.DELIVERED:
        return {"status": Status.DELIVERED.value, "delivered_at": now, "lease_until": None, "last_error": None}
    error = outcome.error or f"HTTP {outcome.status_code}"
    schedule = settings.retry_schedule_seconds
    if outcome.verdict is not Verdict.RETRY or row["attempts"] >= len(schedule):
        if outcome.verdict is Verdict.RETRY:
            error = f"Gave up after {row['attempts']} attempts; last: {error}"
        return {"status": Status.DEAD.value, "lease_until": None, "last_error": error}
    return {"status": Status.PENDING.value, "lease_until": None, "last_error": error,
            "next_attempt_at": now + timedelta(seconds=next_delay(schedule, row["attempts"], outcome))}


def next_delay(schedule: list[int], attempts_made: int, outcome: Outcome) -> float:
    """The schedule's delay for the next attempt with ±10 % jitter; a receiver's Retry-After instead,
    capped at the schedule's longest step so that no receiver can park a notification for ever."""
    if outcome.retry_after is not None:
        return min(outcome.retry_after, float(max(schedule)))
    return schedule[attempts_made] * random.uniform(1 - JITTER, 1 + JITTER)


async def _finish(db: Database, row: dict[str, Any], values: dict[str, Any], *, outcome: Outcome | None = None,
                  latency_ms: int | None = None, at: datetime | None = None, target: Target | None = None) -> None:
    n = notifications.c
    async with db.transaction() as conn:
        if outcome is not None:
            await _log_attempt(conn, row["id"], outcome, latency_ms=latency_ms, at=at)
        still_ours = await conn.execute(notifications.update().where(
            n.id == row["id"], n.status == Status.SENDING.value, n.attempts == row["attempts"]).values(**values))
        if still_ours.rowcount == 0:
            logger.warning("notification %s was reclaimed or requeued meanwhile; result logged only", row["id"])
        if outcome is not None and outcome.verdict is Verdict.GONE and target is not None:
            await _disable(conn, target, reason=f"{target.address} answered 410 Gone")


async def _log_attempt(conn: AsyncConnection, notification_id: int, outcome: Outcome, *, latency_ms: int | None,
                       at: datetime | None) -> None:
    a = attempts.c
    number = select(func.coalesce(func.max(a.number), 0) + 1).where(a.notification_id == notification_id)
    await conn.execute(attempts.insert().values(
        notification_id=notification_id, number=number.scalar_subquery(), at=at, status_code=outcome.status_code,
        reply=outcome.reply, latency_ms=latency_ms, error=(outcome.error or None) and outcome.error[:2000]))


async def _disable(conn: AsyncConnection, target: Target, *, reason: str) -> None:
    """The receiver asked us to stop (410): disable its contact or subscription, with history."""
    records = subscription_records if target.kind == "subscription" else contact_records
    if await records.find(conn, target.id) is None:  # deleted meanwhile: nothing left to disable
        return
    if target.kind == "subscription":
        await subscription_records.update(conn, target.id, {"enabled": False, "disabled_reason": reason[:200]},
                                          expected_version=None, actor=ACTOR)
    else:
        await contact_records.update(conn, target.id, {"enabled": False}, expected_version=None, actor=ACTOR)
