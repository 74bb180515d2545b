"""The outbox of notifications and their delivery attempts (dispatch runs are the dispatches room's)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Index, String, Text
from sqlmodel import Field

from services.notify_api.db import NotifyModel


class Level(StrEnum):
    """三色督办单: the colour of a supervision notice."""

    BLUE = "blue"  # 提醒: before the deadline
    YELLOW = "yellow"  # 催办: overdue
    RED = "red"  # 督办: overdue past the escalation threshold; also to the lead leader and the office


class Status(StrEnum):
    """Where a notice stands: pending (待发), sending (发送中), delivered (已送达), dead (失败) or cancelled (取消)."""

    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a deliverer until lease_until
    DELIVERED = "delivered"
    DEAD = "dead"  # gave up after the last retry, or refused for good; retry by hand
    CANCELLED = "cancelled"


class Notification(NotifyModel, table=True):
    """One message to one recipient on one channel. `dedupe_key` makes creating it twice impossible."""

    __tablename__ = "notifications"
    # Ends with id, the claim's tie-break: a dispatch gives a million rows one send time, and the claim reads its
    # first rows in index order instead of sorting them all.
    __table_args__ = (
        Index("ix_notifications_due", "status", "next_attempt_at", "id"),
        Index("ix_notifications_unit", "unit_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(
        max_length=400, unique=True, description="(deadline, rule step, recipient, channel): the exactly-once key."
    )
    purpose: str = Field("reminder", max_length=20, sa_type=String(20), description="reminder, digest or event")
    level: str | None = Field(None, max_length=10, sa_type=String(10))
    step: str = Field("", max_length=40, description="before-7, due-today, overdue-3, escalation …")
    plan_id: int | None = None
    item_id: int | None = None
    unit_id: int | None = Field(None, description="The responsible unit the notice is about.")
    deadline_kind: str | None = Field(None, max_length=20, sa_type=String(20))
    deadline_id: int | None = None
    due_on: date | None = None
    recipient_kind: str = Field(max_length=20, sa_type=String(20), description="unit, leader, office or subscription")
    recipient_id: int
    contact_id: int | None = Field(None, description="The contact (or subscription) delivered to.")
    channel: str = Field(max_length=10, sa_type=String(10))
    payload: dict[str, Any] = Field(sa_type=JSON, description="Rendered message and its data.")
    webhook_id: str = Field(max_length=64, unique=True, description="Stable id receivers deduplicate by.")
    status: str = Field(Status.PENDING.value, max_length=12, sa_type=String(12))
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=DateTime(timezone=True))
    lease_until: datetime | None = Field(None, sa_type=DateTime(timezone=True))
    last_error: str | None = Field(None, max_length=2000, sa_type=Text)
    dispatch_id: int | None = Field(None, index=True)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    delivered_at: datetime | None = Field(None, sa_type=DateTime(timezone=True))
    read_at: datetime | None = Field(None, sa_type=DateTime(timezone=True), description="Read or acknowledged.")
    traceparent: str | None = Field(None, max_length=55, sa_type=String(55), description="W3C trace it belongs to.")


class DeliveryAttempt(NotifyModel, table=True):
    __tablename__ = "delivery_attempts"
    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notifications.id", index=True, ondelete="CASCADE")
    number: int
    at: datetime = Field(sa_type=DateTime(timezone=True))
    status_code: int | None = Field(None, description="HTTP status, or the SMTP reply code.")
    reply: str | None = Field(None, max_length=2000, description="The receiver's answer, truncated.")
    latency_ms: int | None = None
    error: str | None = Field(None, max_length=2000)
