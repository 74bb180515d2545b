"""Deadline extension requests (延期申请) and their decision trail."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Index
from sqlmodel import Field

from services.tasks_api.db import TasksModel


class ExtensionStatus(StrEnum):
    """Where an extension request stands: pending (待审), approved (批准) or rejected (驳回)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ExtensionFields(TasksModel):
    milestone_id: int | None = Field(None, description="The milestone to move; empty moves the item's due date.")
    requested_due_on: date = Field(description="申请延期至")
    reason: str = Field(min_length=1, max_length=2000, description="延期理由")


class ExtensionRequest(ExtensionFields, TasksModel, table=True):
    __tablename__ = "extension_requests"
    __table_args__ = (Index("ix_extension_requests_status", "status", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="items.id", index=True, ondelete="CASCADE")
    milestone_id: int | None = Field(None, foreign_key="milestones.id", ondelete="CASCADE")
    unit_id: int | None = Field(
        None,
        foreign_key="units.id",
        ondelete="SET NULL",
        description="The unit that asked; empty when the office filed it.",
    )
    previous_due_on: date | None = Field(None, description="The due date when the request was made.")
    status: str = Field(ExtensionStatus.PENDING.value, max_length=20)
    requested_by: str = Field(max_length=255)
    requested_at: datetime = Field(sa_type=DateTime(timezone=True))
    decided_by: str | None = Field(None, max_length=255)
    decided_at: datetime | None = Field(None, sa_type=DateTime(timezone=True))
    decision_comment: str | None = Field(
        None, max_length=2000, description="The office's reason for its decision (审批意见); null while pending."
    )
    version: int = 1
