"""The outbox's tables and row types: a notification and a delivery attempt as read (instants aware UTC on both
databases), and the next state a send, a requeue or a reading leaves a notification in; the deliverer's SQL:
claiming due notifications under a lease, logging attempts and setting the state a send leaves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NotRequired, TypedDict

from sqlalchemy import CTE, ColumnElement, and_, bindparam, func, or_, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.tables import table_of
from services.notify_api.deliveries.clock import aware_row
from services.notify_api.deliveries.models import DeliveryAttempt, Notification, Status

notifications, attempts = table_of(Notification), table_of(DeliveryAttempt)


class NotificationRow(TypedDict):
    """One message to one recipient on one channel, as stored."""

    id: int
    dedupe_key: str
    purpose: str
    level: str | None
    step: str
    plan_id: int | None
    item_id: int | None
    unit_id: int | None
    deadline_kind: str | None
    deadline_id: int | None
    due_on: date | None
    recipient_kind: str
    recipient_id: int
    contact_id: int | None
    channel: str
    payload: dict[str, Any]  # the rendered message and its data, as every channel reads it (JSON)
    webhook_id: str
    status: str
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    last_error: str | None
    dispatch_id: int | None
    created_at: datetime
    delivered_at: datetime | None
    read_at: datetime | None
    traceparent: NotRequired[str | None]  # the W3C trace of the event it fans out (webhooks carry it on)


class AttemptRow(TypedDict):
    """One delivery attempt, as stored."""

    id: int
    notification_id: int
    number: int
    at: datetime
    status_code: int | None
    reply: str | None
    latency_ms: int | None
    error: str | None


class NotificationWithAttempts(NotificationRow):
    delivery_attempts: list[AttemptRow]  # oldest first


class NextState(TypedDict, total=False):
    """The columns a send's result, a requeue or a reading sets on a notification."""

    status: str
    attempts: int
    next_attempt_at: datetime
    lease_until: None
    last_error: str | None
    delivered_at: datetime
    read_at: datetime


class NewAttempt(TypedDict):
    """One delivery attempt to log."""

    notification_id: int
    status_code: int | None
    reply: str | None
    latency_ms: int | None
    error: str | None


def is_due(now: datetime) -> ColumnElement[bool]:
    """Pending and due, or claimed by a deliverer whose lease ran out."""
    n = notifications.c
    return or_(
        and_(n.status == Status.PENDING.value, n.next_attempt_at <= now),
        and_(n.status == Status.SENDING.value, n.lease_until < now),
    )


async def claim_due(
    conn: AsyncConnection, *, now: datetime, limit: int, lease_until: datetime
) -> list[NotificationRow]:
    """Mark up to `limit` due notifications `sending` until `lease_until`, counting the attempt; in id order."""
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
        .values(status=Status.SENDING.value, lease_until=lease_until, attempts=n.attempts + 1)
        .returning(*notifications.c)
    )
    rows = (await conn.execute(statement)).mappings().all()
    return sorted((aware_row(r, NotificationRow) for r in rows), key=lambda r: r["id"])


def _first_due(condition: ColumnElement[bool], limit: int, name: str) -> CTE:
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


Claim = tuple[int, int, datetime | None]  # a notification's id, attempts and lease as its deliverer claimed it


async def set_state(conn: AsyncConnection, claims: Sequence[Claim], values: NextState) -> int:
    """Set `values` on the notifications still claimed as (id, attempts, lease_until) and `sending`; how many were.
    The lease tells claims apart where the attempts cannot: a requeue counts them from 0 again, and a deliverer whose
    lease ran out before the requeue would otherwise write over the claim made after it."""
    n = notifications.c
    still_ours = await conn.execute(
        notifications.update()
        .where(tuple_(n.id, n.attempts, n.lease_until).in_(claims), n.status == Status.SENDING.value)
        .values(**values)
    )
    return still_ours.rowcount


async def log_attempts(conn: AsyncConnection, tried: Sequence[NewAttempt], *, at: datetime) -> None:
    """One attempt row each, numbered after the notification's earlier attempts."""
    if not tried:
        return
    a = attempts.c
    # The parameters are named apart from the columns: SQLAlchemy reserves a column's name in an INSERT's VALUES.
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
                "attempt_of": t["notification_id"],
                "code": t["status_code"],
                "answer": t["reply"],
                "took_ms": t["latency_ms"],
                "failure": t["error"],
            }
            for t in tried
        ],
    )
