"""Request and response bodies of the delivery endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.common.strict_json import DATE_TEXT


class DispatchCreate(BaseModel):
    """Run a dispatch (催办): plan what is due as of a moment, then deliver."""

    model_config = ConfigDict(extra="forbid")

    as_of: datetime | None = Field(
        None,
        description="Compute what is due as of this moment (default: "
        "now), an RFC 3339 date-time at most one day ahead. Without an offset it is "
        "Beijing time (Asia/Shanghai). The same as_of twice runs once.",
    )

    @field_validator("as_of", mode="before")
    @classmethod
    def _written_out(cls, value: object) -> object:
        # pydantic reads a number as seconds since the epoch: -1 would be a dispatch as of 1969.
        if value is None or isinstance(value, datetime) or (isinstance(value, str) and DATE_TEXT.fullmatch(value)):
            return value
        raise ValueError("as_of is an RFC 3339 date-time such as 2026-03-31T09:00:00+08:00, not a number")


class DispatchPublic(BaseModel):
    """One dispatch run (派发): what it planned and what it delivered."""

    id: int
    as_of: datetime
    created: int = Field(description="Notifications written to the outbox by this run.")
    sent: int = Field(description="Notifications delivered by this run (any that were due, not only its own).")
    failed: int = Field(description="Deliveries that failed in this run; retried later, or dead.")
    started_at: datetime
    finished_at: datetime | None
    started_by: str


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
