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

from sqlalchemy import and_, bindparam, func, null, or_, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import Database
from services.common.records import Records
from services.common.secrets import SecretBox, masked_url
from services.common.tables import table_of
from services.notify_api.contacts.models import Contact
from services.notify_api.db import change_log
from services.notify_api.deliveries.channels import Channels, Outcome, Target, Verdict
from services.notify_api.deliveries.clock import aware_row, utc
from services.notify_api.deliveries.models import Status
from services.notify_api.deliveries.repository import NextState, NotificationRow, attempts, notifications
from services.notify_api.events.models import Subscription
from services.notify_api.settings import NotifySettings

logger = logging.getLogger("duban.deliveries")

contacts, subscriptions = table_of(Contact), table_of(Subscription)
contact_records: Records[dict[str, Any]] = Records(contacts, "contact", change_log)
subscription_records: Records[dict[str, Any]] = Records(subscriptions, "subscription", change_log)

CONCURRENCY = 16  # sends in flight per deliverer
JITTER = 0.1  # ±10 % on every scheduled delay, so retries of one outage do not arrive in lockstep
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
    return or_(
        and_(n.status == Status.PENDING.value, n.next_attempt_at <= now),
        and_(n.status == Status.SENDING.value, n.lease_until < now),
    )


async def claim(db: Database, settings: NotifySettings, *, now: datetime, limit: int) -> list[NotificationRow]:
    """Mark up to `limit` due notifications `sending` under a lease, in one short transaction."""
    now = utc(now)
    n = notifications.c
    # Pending rows and expired leases are picked apart, each the first `limit` in the due index's order, then the
    # first `limit` of both: picked at once (`pending and due OR sending and expired`), PostgreSQL sorted every
    # due row, 1.6 s a claim with a province's day of reminders (1.5 million) in the outbox.
    # MATERIALIZED: each pick runs once. Inlined as `id IN (subquery)`, PostgreSQL may re-run a locking
    # subquery while updating and claim more than `limit` rows.
    pending = _first_due(and_(n.status == Status.PENDING.value, n.next_attempt_at <= now), limit, "pending")
    expired = _first_due(and_(n.status == Status.SENDING.value, n.lease_until < now), limit, "expired")
    both = union_all(
        select(pending.c.id, pending.c.next_attempt_at), select(expired.c.id, expired.c.next_attempt_at)
    ).subquery("due")
    picked = (
        select(both.c.id)
        .order_by(both.c.next_attempt_at, both.c.id)
        .limit(limit)
        .cte("picked")
        .prefix_with("MATERIALIZED")
    )
    statement = (
        notifications.update()
        .where(n.id == picked.c.id, is_due(now))
        .values(
            status=Status.SENDING.value,
            lease_until=now + timedelta(seconds=settings.lease_seconds),
            attempts=n.attempts + 1,
        )
        .returning(*notifications.c)
    )
    async with db.transaction() as conn:
        rows = (await conn.execute(statement)).mappings().all()
    return sorted((aware_row(r, NotificationRow) for r in rows), key=lambda r: r["id"])


def _first_due(condition: Any, limit: int, name: str) -> Any:
    """The first `limit` rows meeting `condition` in the due index's order, locked, skipping rows others hold."""
    n = notifications.c
    return (
        select(n.id, n.next_attempt_at)
        .where(condition)
        .order_by(n.next_attempt_at, n.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte(name)
        .prefix_with("MATERIALIZED")
    )


async def deliver_due(
    db: Database, settings: NotifySettings, *, now: datetime, limit: int = 200, channels: Channels | None = None
) -> DeliveryCounts:
    """Claim up to `limit` due notifications, deliver them, at most CONCURRENCY at once, and record the results.

    `channels` lets a deliverer that runs many batches keep one HTTP connection pool across them."""
    claimed = await claim(db, settings, now=now, limit=limit)
    if not claimed:
        return DeliveryCounts()
    targets = await load_targets(db, settings, claimed)
    batch_channels = channels or Channels(settings)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(row: NotificationRow) -> Result:
        async with gate:
            return await send_one(settings, batch_channels, row, targets.get(_target_key(row)), now=utc(now))

    try:
        results = await asyncio.gather(*(one(row) for row in claimed))
    finally:
        if channels is None:
            await batch_channels.aclose()
    try:
        await finish(db, results, at=utc(now))
    except Exception as exc:
        logger.error("recording the delivery of notifications %s failed: %r", [r.row["id"] for r in results], exc)
        return DeliveryCounts(failed=len(results))
    sent = sum(result.delivered for result in results)
    return DeliveryCounts(sent=sent, failed=len(results) - sent)


async def deliver_all_due(db: Database, settings: NotifySettings, *, now: datetime, batch: int = 200) -> DeliveryCounts:
    """Deliver batches until nothing more is due (each row is claimed at most once per schedule step)."""
    total = DeliveryCounts()
    channels = Channels(settings)
    try:
        while True:
            counts = await deliver_due(db, settings, now=now, limit=batch, channels=channels)
            total += counts
            if counts.sent + counts.failed < batch:
                return total
    finally:
        await channels.aclose()


def _target_key(row: NotificationRow) -> tuple[str, int | None]:
    return ("subscription" if row["recipient_kind"] == "subscription" else "contact", row["contact_id"])


async def load_targets(
    db: Database, settings: NotifySettings, rows: list[NotificationRow]
) -> dict[tuple[str, int | None], Target | str]:
    """Each row's target with its secret opened, or why it cannot be sent (disabled, missing, bad secret)."""
    box = SecretBox(settings.secret_key)
    wanted: dict[str, set[int]] = {"contact": set(), "subscription": set()}
    for row in rows:
        kind, target_id = _target_key(row)
        if target_id is not None:
            wanted[kind].add(target_id)
    found: dict[tuple[str, int | None], Target | str] = {}
    async with db.read() as conn:
        for kind, table, address, sealed in (
            ("contact", contacts, contacts.c.target, contacts.c.target_sealed),
            ("subscription", subscriptions, subscriptions.c.url, null()),
        ):
            if not wanted[kind]:
                continue
            query = select(
                table.c.id,
                address.label("address"),
                sealed.label("address_sealed"),
                table.c.secret_encrypted,
                table.c.enabled,
            )
            for target in (await conn.execute(query.where(table.c.id.in_(wanted[kind])))).mappings():
                found[(kind, target["id"])] = _target(kind, target, box)
    return found


def _target(kind: str, row: Any, box: SecretBox) -> Target | str:
    if not row["enabled"]:
        return f"The {kind} {row['id']} is disabled."
    try:
        secret = box.open(row["secret_encrypted"]) if row["secret_encrypted"] else None
        address = box.open(row["address_sealed"]) if row["address_sealed"] else row["address"]
    except Exception:
        return f"The secret of {kind} {row['id']} cannot be decrypted (was NOTIFY_API_SECRET_KEY changed?)."
    return Target(kind, row["id"], address, secret)


@dataclass(frozen=True, slots=True)
class Result:
    """A claimed notification after its send: its next state, and the attempt to log (none when not sent)."""

    row: NotificationRow
    values: NextState
    outcome: Outcome | None = None
    latency_ms: int | None = None
    target: Target | None = None

    @property
    def delivered(self) -> bool:
        return self.outcome is not None and self.outcome.verdict is Verdict.DELIVERED


async def send_one(
    settings: NotifySettings, channels: Channels, row: NotificationRow, target: Target | str | None, *, now: datetime
) -> Result:
    """Send one claimed notification (or cancel it when its target cannot be used); nothing is written yet."""
    if not isinstance(target, Target):
        reason = target or f"The {_target_key(row)[0]} {row['contact_id']} no longer exists."
        return Result(row, {"status": Status.CANCELLED.value, "lease_until": None, "last_error": reason})
    started = time.perf_counter()
    outcome = await channels.send(row, target)
    latency_ms = round((time.perf_counter() - started) * 1000)
    return Result(row, after_outcome(settings, row, outcome, now=now), outcome, latency_ms, target)


def after_outcome(settings: NotifySettings, row: NotificationRow, outcome: Outcome, *, now: datetime) -> NextState:
    """The row's next state: delivered; dead; or pending until the next step of the retry schedule."""
    if outcome.verdict is Verdict.DELIVERED:
        return {"status": Status.DELIVERED.value, "delivered_at": now, "lease_until": None, "last_error": None}
    error = outcome.error or f"HTTP {outcome.status_code}"
    schedule = settings.retry_schedule_seconds
    if outcome.verdict is not Verdict.RETRY or row["attempts"] >= len(schedule):
        if outcome.verdict is Verdict.RETRY:
            error = f"Gave up after {row['attempts']} attempts; last: {error}"
        return {"status": Status.DEAD.value, "lease_until": None, "last_error": error}
    return {
        "status": Status.PENDING.value,
        "lease_until": None,
        "last_error": error,
        "next_attempt_at": now + timedelta(seconds=next_delay(schedule, row["attempts"], outcome)),
    }


def next_delay(schedule: list[int], attempts_made: int, outcome: Outcome) -> float:
    """The schedule's delay for the next attempt with ±10 % jitter; a receiver's Retry-After instead,
    capped at the schedule's longest step so that no receiver can park a notification for ever."""
    if outcome.retry_after is not None:
        return min(outcome.retry_after, float(max(schedule)))
    return schedule[attempts_made] * random.uniform(1 - JITTER, 1 + JITTER)


async def finish(db: Database, results: list[Result], *, at: datetime) -> None:
    """Record a batch's results in one transaction: every attempt, then each row's next state while the claim
    is still ours (status `sending` and the attempt count we claimed); a 410 disables its target."""
    # One transaction and a few set-based statements per batch, not one per notification: committing each
    # result alone held a deliverer to ~25 ms per notification.
    delivered = [result for result in results if result.delivered]
    async with db.transaction() as conn:
        await _log_attempts(conn, [result for result in results if result.outcome is not None], at=at)
        if delivered:
            await _set_state(conn, delivered, delivered[0].values)  # the same values for all: delivered at `at`
        for result in results:
            if not result.delivered:
                await _set_state(conn, [result], result.values)
            if result.outcome is not None and result.outcome.verdict is Verdict.GONE and result.target is not None:
                await _disable(conn, result.target, reason=f"{masked_url(result.target.address)} answered 410 Gone")


async def _set_state(conn: AsyncConnection, results: list[Result], values: NextState) -> None:
    n = notifications.c
    claims = [(result.row["id"], result.row["attempts"]) for result in results]
    still_ours = await conn.execute(
        notifications.update()
        .where(tuple_(n.id, n.attempts).in_(claims), n.status == Status.SENDING.value)
        .values(**values)
    )
    if still_ours.rowcount < len(claims):
        logger.warning(
            "%d of notifications %s were reclaimed or requeued meanwhile; results logged only",
            len(claims) - still_ours.rowcount,
            [claim[0] for claim in claims],
        )


async def _log_attempts(conn: AsyncConnection, results: list[Result], *, at: datetime) -> None:
    """One attempt row per result, numbered after the notification's earlier attempts."""
    if not results:
        return
    a = attempts.c
    number = select(func.coalesce(func.max(a.number), 0) + 1).where(a.notification_id == bindparam("attempt_of"))
    statement = attempts.insert().values(
        notification_id=bindparam("attempt_of"),
        number=number.scalar_subquery(),
        at=at,
        status_code=bindparam("code"),
        reply=bindparam("answer"),
        latency_ms=bindparam("took_ms"),
        error=bindparam("failure"),
    )
    await conn.execute(
        statement,
        [
            {
                "attempt_of": r.row["id"],
                "code": r.outcome.status_code,
                "answer": r.outcome.reply,
                "took_ms": r.latency_ms,
                "failure": (r.outcome.error or None) and r.outcome.error[:2000],
            }
            for r in results
            if r.outcome is not None
        ],
    )


async def _disable(conn: AsyncConnection, target: Target, *, reason: str) -> None:
    """The receiver asked us to stop (410): disable its contact or subscription, with history."""
    records = subscription_records if target.kind == "subscription" else contact_records
    if await records.find(conn, target.id) is None:  # deleted meanwhile: nothing left to disable
        return
    if target.kind == "subscription":
        await subscription_records.update(
            conn, target.id, {"enabled": False, "disabled_reason": reason[:200]}, expected_version=None, actor=ACTOR
        )
    else:
        await contact_records.update(conn, target.id, {"enabled": False}, expected_version=None, actor=ACTOR)
