"""Delivery rules: reading the outbox, requeueing and acknowledging notifications, and the state a send leaves a
notification in (the retry schedule)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal
from services.common.db import Database
from services.common.history import record_change
from services.common.problems import Conflict, Forbidden, Unprocessable
from services.common.records import Records
from services.notify_api.contacts.models import OwnerKind
from services.notify_api.db import change_log
from services.notify_api.deliveries.channels import Outcome, Verdict
from services.notify_api.deliveries.clock import aware_row, now_utc, utc
from services.notify_api.deliveries.models import Status
from services.notify_api.deliveries.repository import (
    AttemptRow,
    NextState,
    NotificationRow,
    NotificationWithAttempts,
    attempts,
    notifications,
)
from services.notify_api.settings import NotifySettings

notification_records: Records[NotificationRow] = Records(notifications, "notification", change_log)

REQUEUEABLE = (Status.DEAD.value, Status.PENDING.value)
JITTER = 0.1  # ±10 % on every scheduled delay, so retries of one outage do not arrive in lockstep


def _visible_to(principal: Principal) -> list[ColumnElement[bool]]:
    """A unit sees only the notices addressed to it; everyone else sees all.

    Copies of a red notice sent to the lead leader and the office, and event deliveries to other systems'
    subscriptions (purpose "event"), carry the unit they are about but belong to the office's view."""
    if principal.unit_id is None:
        return []
    n = notifications.c
    return [n.recipient_kind == OwnerKind.UNIT.value, n.recipient_id == principal.unit_id]


def _addressed_to(principal: Principal, row: NotificationRow) -> bool:
    return row["recipient_kind"] == OwnerKind.UNIT.value and row["recipient_id"] == principal.unit_id


def _readable(principal: Principal, row: NotificationRow) -> bool:
    return principal.unit_id is None or _addressed_to(principal, row)


async def list_notifications(
    db: Database,
    *,
    principal: Principal,
    after_id: int | None,
    limit: int,
    status: str | None = None,
    unit_id: int | None = None,
    channel: str | None = None,
    deadline_kind: str | None = None,
    deadline_id: int | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> list[NotificationRow]:
    if principal.unit_id is not None and unit_id not in (None, principal.unit_id):
        raise Forbidden("A unit token may only list its own unit's notifications.")
    if deadline_id is not None and deadline_kind is None:
        raise Unprocessable(
            "deadline_id needs deadline_kind: ids of different kinds of deadline overlap.",
            at=("query", "deadline_kind"),
        )
    n = notifications.c
    where = _visible_to(principal)
    for column, value in (
        (n.status, status),
        (n.unit_id, unit_id),
        (n.channel, channel),
        (n.deadline_kind, deadline_kind),
        (n.deadline_id, deadline_id),
    ):
        if value is not None:
            where.append(column == value)
    if created_from is not None:
        where.append(n.created_at >= utc(created_from))
    if created_to is not None:
        where.append(n.created_at < utc(created_to))
    async with db.read() as conn:
        rows = await notification_records.page(conn, where=where, after_id=after_id, limit=limit)
    return [aware_row(r, NotificationRow) for r in rows]


async def get_notification(db: Database, *, notification_id: int, principal: Principal) -> NotificationWithAttempts:
    """The notification with every delivery attempt, oldest first."""
    async with db.read() as conn:
        row = aware_row(await notification_records.get(conn, notification_id), NotificationRow)
        if not _readable(principal, row):  # another unit's notice: as if it did not exist
            raise notification_records.missing(notification_id)
        tried = await conn.execute(
            select(attempts)
            .where(attempts.c.notification_id == notification_id)
            .order_by(attempts.c.number, attempts.c.id)
        )
        return NotificationWithAttempts(**row, delivery_attempts=[aware_row(a, AttemptRow) for a in tried.mappings()])


async def retry_notification(db: Database, *, notification_id: int, actor: Principal) -> NotificationRow:
    """Requeue a dead (or still pending) notification: due now, with the whole retry schedule again."""
    async with db.transaction() as conn:
        before = aware_row(await notification_records.get(conn, notification_id), NotificationRow)
        if before["status"] not in REQUEUEABLE:
            raise Conflict(
                f"Notification {notification_id} is {before['status']}; only dead or pending "
                "notifications can be requeued."
            )
        values: NextState = {
            "status": Status.PENDING.value,
            "next_attempt_at": now_utc(),
            "attempts": 0,
            "lease_until": None,
        }
        return await _change(conn, before, values, actor=actor, when={"status": before["status"]})


async def mark_read(db: Database, *, notification_id: int, principal: Principal) -> NotificationRow:
    """Record that the recipient read (acknowledged) the notice; the first time counts."""
    async with db.transaction() as conn:
        before = aware_row(await notification_records.get(conn, notification_id), NotificationRow)
        if not _readable(principal, before):  # another unit's notice: as if it did not exist
            raise notification_records.missing(notification_id)
        if not (principal.is_staff or _addressed_to(principal, before)):
            raise Forbidden("Only the unit the notice was sent to, or the office, may mark it read.")
        if before["read_at"] is not None:
            return before
        return await _change(conn, before, {"read_at": now_utc()}, actor=principal, when={"read_at": None})


async def _change(
    conn: AsyncConnection, before: NotificationRow, values: NextState, *, actor: Principal, when: dict[str, Any]
) -> NotificationRow:
    """Update a notification if `when` still holds (a deliverer may be writing it), with history."""
    n = notifications.c
    guard = [n.id == before["id"], *((n[k].is_(None) if v is None else n[k] == v) for k, v in when.items())]
    row = (
        (await conn.execute(notifications.update().where(*guard).values(**values).returning(*notifications.c)))
        .mappings()
        .first()
    )
    if row is None:
        raise Conflict(f"Notification {before['id']} changed meanwhile; read it again.")
    await record_change(
        conn,
        change_log,
        entity="notification",
        entity_id=before["id"],
        action="update",
        actor=actor.subject,
        before=before,
        after=dict(row),
    )
    return aware_row(row, NotificationRow)


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
