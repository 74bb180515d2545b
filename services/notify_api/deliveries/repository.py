"""The outbox's tables and row types: a notification and a delivery attempt as read (instants aware UTC on both
databases), and the next state a send, a requeue or a reading leaves a notification in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypedDict

from services.common.tables import table_of
from services.notify_api.deliveries.models import DeliveryAttempt, Notification

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
