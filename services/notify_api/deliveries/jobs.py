"""Reliable delivery of the outbox, the batch work the worker runs: claim due notifications, send them, record every
attempt.

Claiming is one `UPDATE … RETURNING` that marks due rows `sending` with a lease (repository.claim_due):
- on PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED`, so replicas never wait for, nor
  take, each other's rows; the UPDATE re-checks that each row is still due, so a row claimed by another
  deliverer meanwhile is never claimed twice;
- on SQLite the same single statement takes SQLite's only write lock before it reads (as BEGIN IMMEDIATE
  would), so claims from any number of deliverers or processes run one at a time.
A deliverer that dies after claiming loses nothing: when the lease runs out the rows are due again, and
they go out with the same `webhook_id` (receivers drop the duplicate). Each result is written only while
the claim is still ours (status `sending` and the attempt count we claimed), so a late deliverer cannot
overwrite a newer one's result; its attempt is still logged.

A notification's target is read from the room that owns its recipient (contacts or event subscriptions) through
the TargetSources the caller hands in (targets.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.clock import business_date
from services.common.db import Database
from services.common.secrets import SecretBox, masked_url
from services.notify_api.deliveries import repository
from services.notify_api.deliveries.channels import Channels, Outcome, Target, Verdict
from services.notify_api.deliveries.clock import utc
from services.notify_api.deliveries.meters import DELIVERIES, OUTCOMES
from services.notify_api.deliveries.models import Status
from services.notify_api.deliveries.repository import NewAttempt, NextState, NotificationRow
from services.notify_api.deliveries.service import after_outcome
from services.notify_api.deliveries.targets import SealedTarget, TargetSources
from services.notify_api.rules.rule import PauseIndex
from services.notify_api.rules.service import active_pauses
from services.notify_api.settings import NotifySettings

logger = logging.getLogger("duban.deliveries")

CONCURRENCY = 16  # sends in flight per deliverer
ACTOR = "notify_api-deliverer"
ERROR_LIMIT = 2000  # characters of an attempt's error kept in its log

TargetKey = tuple[str, int | None]  # (target kind, id): the recipient a notification's target is read from


@dataclass(slots=True)
class DeliveryCounts:
    sent: int = 0
    failed: int = 0  # not delivered in this run: retried later, dead or cancelled

    def __iadd__(self, other: DeliveryCounts) -> DeliveryCounts:
        self.sent += other.sent
        self.failed += other.failed
        return self


async def claim(db: Database, settings: NotifySettings, *, now: datetime, limit: int) -> list[NotificationRow]:
    """Mark up to `limit` due notifications `sending` under a lease, in one short transaction."""
    now = utc(now)
    lease_until = now + timedelta(seconds=settings.lease_seconds)
    async with db.transaction() as conn:
        return await repository.claim_due(conn, now=now, limit=limit, lease_until=lease_until)


async def deliver_due(
    db: Database,
    settings: NotifySettings,
    *,
    sources: TargetSources,
    now: datetime,
    limit: int = 200,
    channels: Channels | None = None,
) -> DeliveryCounts:
    """Claim up to `limit` due notifications, deliver them, at most CONCURRENCY at once, and record the results.

    `channels` lets a deliverer that runs many batches keep one HTTP connection pool across them."""
    batch_channels = channels or Channels(settings)
    try:
        results = await claim_and_send(db, settings, sources=sources, now=now, limit=limit, channels=batch_channels)
    finally:
        if channels is None:
            await batch_channels.aclose()
    return await record(db, sources, results, at=utc(now))


async def claim_and_send(
    db: Database, settings: NotifySettings, *, sources: TargetSources, now: datetime, limit: int, channels: Channels
) -> list[Result]:
    """A batch claimed and sent, its results not written yet (record writes them)."""
    claimed = await claim(db, settings, now=now, limit=limit)
    if not claimed:
        return []
    async with db.read() as conn:
        targets = await load_targets(conn, settings, sources, claimed)
        held = await held_by_pauses(conn, claimed, now=now)  # planned before a pause began: cancelled, not sent
    return await send_all(settings, channels, claimed, targets, now=utc(now), held=held)


async def held_by_pauses(conn: AsyncConnection, rows: list[NotificationRow], *, now: datetime) -> dict[int, str]:
    """The reminders among `rows` whose plan, item or unit a pause in force today covers, each with why it is not
    sent (the planner leaves out what a pause covers; these were planned before it began: held for quiet hours, or
    waiting for a retry)."""
    reminders = [(r["id"], r["plan_id"], r["item_id"], r["unit_id"]) for r in rows if r["purpose"] == "reminder"]
    if not reminders:
        return {}
    today = business_date(now)
    paused = PauseIndex.of(await active_pauses(conn, today))
    why = f"Held back by a pause (暂停提醒) in force on {today.isoformat()}."
    return {
        row_id: why for row_id, plan, item, unit in reminders if plan is not None and paused.covers(plan, item, unit)
    }


async def record(db: Database, sources: TargetSources, results: list[Result], *, at: datetime) -> DeliveryCounts:
    """Write a sent batch's results (finish); a batch whose results cannot be written counts as failed: its claim
    runs out and its rows go out again under the same webhook-ids."""
    if not results:
        return DeliveryCounts()
    try:
        await finish(db, sources, results, at=at)
    except Exception as exc:
        logger.error("recording the delivery of notifications %s failed: %r", [r.row["id"] for r in results], exc)
        return DeliveryCounts(failed=len(results))
    sent = sum(result.delivered for result in results)
    return DeliveryCounts(sent=sent, failed=len(results) - sent)


async def deliver_all_due(
    db: Database,
    settings: NotifySettings,
    *,
    sources: TargetSources,
    now: datetime,
    batch: int = 200,
    until: float | None = None,
) -> DeliveryCounts:
    """Deliver batches until nothing more is due (each row is claimed at most once per schedule step), or until the
    monotonic clock passes `until` (the benchmark's time limit).

    Pipelined: a batch's results are written while the next batch is claimed and sent, so the receivers are not
    left idle during the database round trips. The next claim can never take the batch being written (its rows are
    `sending` under a lease), and each write still checks that the claim is ours, so nothing goes out twice; at most
    one batch is written beside one being sent, and the last is written before this returns."""
    total = DeliveryCounts()
    channels = Channels(settings)
    writing: asyncio.Task[DeliveryCounts] | None = None
    try:
        while True:
            results = await claim_and_send(db, settings, sources=sources, now=now, limit=batch, channels=channels)
            if writing is not None:
                total += await writing
            writing = asyncio.create_task(record(db, sources, results, at=utc(now)))
            if len(results) < batch or (until is not None and time.monotonic() >= until):
                total += await writing
                writing = None
                return total
    finally:
        if writing is not None:  # claim_and_send failed: the batch sent before is still written
            await asyncio.shield(writing)
        await channels.aclose()


async def send_all(
    settings: NotifySettings,
    channels: Channels,
    claimed: list[NotificationRow],
    targets: dict[TargetKey, Target | str],
    *,
    now: datetime,
    held: Mapping[int, str] = MappingProxyType({}),
) -> list[Result]:
    """Send a claimed batch, CONCURRENCY senders taking the next row as each finishes; results in the batch's order.

    CONCURRENCY senders rather than a task per row behind a semaphore: the same bound without a batch's hundreds of
    tasks made, queued and woken (CPU the deliverer spends beside each send, measurable with a fast receiver)."""
    results: list[Result | None] = [None] * len(claimed)
    rows = iter(enumerate(claimed))  # shared by the senders: each `next` is taken by one of them

    async def sender() -> None:
        for n, row in rows:
            target = held.get(row["id"]) or targets.get(_target_key(row))
            results[n] = await send_one(settings, channels, row, target, now=now)

    await asyncio.gather(*(sender() for _ in range(min(CONCURRENCY, len(claimed)))))
    return [result for result in results if result is not None]


def _target_key(row: NotificationRow) -> TargetKey:
    return ("subscription" if row["recipient_kind"] == "subscription" else "contact", row["contact_id"])


async def load_targets(
    conn: AsyncConnection, settings: NotifySettings, sources: TargetSources, rows: list[NotificationRow]
) -> dict[TargetKey, Target | str]:
    """Each row's target with its secret opened, or why it cannot be sent (disabled, missing, bad secret)."""
    box = SecretBox(settings.secret_key)
    wanted: dict[str, set[int]] = {kind: set() for kind in sources}
    for row in rows:
        kind, target_id = _target_key(row)
        if target_id is not None:
            wanted[kind].add(target_id)
    found: dict[TargetKey, Target | str] = {}
    for kind, ids in wanted.items():
        if ids:
            for target in await sources[kind].sealed_targets(conn, ids):
                found[(kind, target["id"])] = _target(kind, target, box)
    return found


def _target(kind: str, row: SealedTarget, box: SecretBox) -> Target | str:
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


async def finish(db: Database, sources: TargetSources, results: list[Result], *, at: datetime) -> None:
    """Record a batch's results in one transaction: every attempt, then each row's next state while the claim
    is still ours (status `sending` and the attempt count we claimed); a 410 disables its target."""
    # One transaction and a few set-based statements per batch, not one per notification: committing each
    # result alone held a deliverer to ~25 ms per notification.
    delivered = [result for result in results if result.delivered]
    async with db.transaction() as conn:
        await repository.log_attempts(conn, [_attempt(r, r.outcome) for r in results if r.outcome is not None], at=at)
        if delivered:
            await _set_state(conn, delivered, delivered[0].values)  # the same values for all: delivered at `at`
        for result in results:
            if not result.delivered:
                await _set_state(conn, [result], result.values)
            if result.outcome is not None and result.outcome.verdict is Verdict.GONE and result.target is not None:
                reason = f"{masked_url(result.target.address)} answered 410 Gone"
                await sources[result.target.kind].disable(conn, result.target.id, reason=reason, actor=ACTOR)
    for result in results:  # counted once committed
        DELIVERIES.labels(result.row["channel"], OUTCOMES.get(result.values["status"], "other")).inc()


def _attempt(result: Result, outcome: Outcome) -> NewAttempt:
    return {
        "notification_id": result.row["id"],
        "status_code": outcome.status_code,
        "reply": outcome.reply,
        "latency_ms": result.latency_ms,
        "error": (outcome.error or None) and outcome.error[:ERROR_LIMIT],
    }


async def _set_state(conn: AsyncConnection, results: list[Result], values: NextState) -> None:
    claims = [(result.row["id"], result.row["attempts"], result.row["lease_until"]) for result in results]
    still_ours = await repository.set_state(conn, claims, values)
    if still_ours < len(claims):
        logger.warning(
            "%d of notifications %s were reclaimed or requeued meanwhile; results logged only",
            len(claims) - still_ours,
            [claim[0] for claim in claims],
        )
