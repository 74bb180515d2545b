"""Close-out requests (销号申请) and the bodies of the close-out workflow."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Index, String, Text
from sqlmodel import Field

from services.tasks_api.db import TasksModel


class CloseoutStatus(StrEnum):
    """Where a close-out request stands: pending (待审), approved (已销号) or refused (退回)."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class CloseoutFields(TasksModel):
    summary: str = Field(
        min_length=1,
        max_length=20000,
        sa_type=Text,
        description="What was achieved (办结情况说明), as the lead unit reports it.",
    )


class CloseoutRequest(CloseoutFields, TasksModel, table=True):
    __tablename__ = "closeout_requests"
    __table_args__ = (Index("ix_closeout_requests_item", "item_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="items.id", ondelete="CASCADE")
    unit_id: int | None = Field(None, foreign_key="units.id", ondelete="SET NULL")
    status: str = Field(CloseoutStatus.PENDING.value, sa_type=String(20))
    requested_by: str = Field(max_length=255)
    requested_at: datetime = Field(sa_type=DateTime(timezone=True))
    decided_by: str | None = Field(None, max_length=255)
    decided_at: datetime | None = Field(None, sa_type=DateTime(timezone=True))
    decision_reason: str | None = Field(None, max_length=2000)
    closed_on: date | None = None
    version: int = 1
