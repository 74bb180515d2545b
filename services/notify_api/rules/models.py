"""Reminder rules per plan and deadline kind, and pauses."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, DateTime, String, UniqueConstraint
from sqlmodel import Field

from services.notify_api.db import NotifyModel


class ReminderRule(NotifyModel, table=True):
    """How one plan reminds about one kind of deadline (item, milestone, indicator, report, or * for all)."""

    __tablename__ = "reminder_rules"
    __table_args__ = (UniqueConstraint("plan_id", "deadline_kind"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int
    deadline_kind: str = Field("*", max_length=20, sa_type=String(20))
    steps_before: list[int] = Field(
        default_factory=lambda: [7, 3, 1, 0],
        sa_type=JSON,
        description="Days before the due date to remind (0: the day itself).",
    )
    repeat_every_workdays: int = Field(3, description="While overdue, remind again every N working days.")
    escalate_after_days: int = Field(5, description="Working days overdue from which the notice is red.")
    quiet_start: str = Field("22:00", max_length=5, description="Asia/Shanghai; no sends from this time …")
    quiet_end: str = Field("08:00", max_length=5, description="… until this time (held until then).")
    digest: bool = Field(False, description="Send a recipient's reminders of one day as one message.")
    version: int = 1


class Pause(NotifyModel, table=True):
    """Reminders held for a plan, an item or a unit (e.g. while an extension is decided)."""

    __tablename__ = "pauses"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(index=True)
    item_id: int | None = None
    unit_id: int | None = None
    until: date | None = Field(None, description="Paused through this date; empty: until lifted.")
    reason: str = Field("", max_length=500)
    created_by: str = Field(max_length=255)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
