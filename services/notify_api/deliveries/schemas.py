"""Request and response bodies of the delivery endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class NotificationPublic(BaseModel):
    """One message to one recipient on one channel (通知), from the outbox."""

    id: int
    dedupe_key: str
    purpose: str
    level: str | None = Field(description="blue (提醒), yellow (催办) or red (督办).", examples=["yellow"])
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
    payload: dict[str, Any]
    webhook_id: str = Field(description="The `webhook-id` of every attempt; receivers deduplicate by it.")
    status: str = Field(description="pending, sending, delivered, dead or cancelled.")
    attempts: int = Field(description="Attempts since the notification was (re)queued.")
    next_attempt_at: datetime
    lease_until: datetime | None
    last_error: str | None
    dispatch_id: int | None
    created_at: datetime
    delivered_at: datetime | None
    read_at: datetime | None


class AttemptPublic(BaseModel):
    """One delivery attempt (投递记录)."""

    number: int
    at: datetime
    status_code: int | None = Field(description="The HTTP status, or the SMTP reply code.")
    reply: str | None = Field(description="The start of the receiver's answer, as received.")
    latency_ms: int | None = Field(description="How long the attempt took, in milliseconds.")
    error: str | None = Field(description="Why the attempt failed; null when it succeeded.")


class NotificationDetail(NotificationPublic):
    """A notice with its delivery attempts (通知详情)."""

    delivery_attempts: list[AttemptPublic] = Field(description="Every attempt, oldest first.")
