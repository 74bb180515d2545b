"""Delegations (转办): the part of an item a unit passed down to one of its sub-units, and where it stands."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Index, String, Text
from sqlmodel import Field

from services.tasks_api.db import TasksModel


class DelegationStatus(StrEnum):
    """Where a delegation stands: pending (待签收), acknowledged (已签收) or withdrawn (已撤回)."""

    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    WITHDRAWN = "withdrawn"


class DelegationFields(TasksModel):
    scope: str = Field(
        min_length=1,
        max_length=2000,
        sa_type=Text,
        description="The part of the item passed down (转办内容), as the delegating unit words it.",
    )
    due_on: date | None = Field(
        None, description="When the delegate is to have done it (办理时限); on or before the item's due date."
    )


class Delegation(DelegationFields, TasksModel, table=True):
    __tablename__ = "delegations"
    __table_args__ = (
        Index("ix_delegations_item", "item_id", "id"),
        Index("ix_delegations_to_unit", "to_unit_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="items.id", ondelete="CASCADE")
    parent_delegation_id: int | None = Field(None, foreign_key="delegations.id", ondelete="CASCADE")
    from_unit_id: int = Field(foreign_key="units.id", ondelete="CASCADE")
    to_unit_id: int = Field(foreign_key="units.id", ondelete="CASCADE")
    status: str = Field(DelegationStatus.PENDING.value, sa_type=String(20))
    delegated_by: str = Field(max_length=255)
    delegated_at: datetime = Field(sa_type=DateTime(timezone=True))
    acknowledged_by: str | None = Field(None, max_length=255)
    acknowledged_at: datetime | None = Field(None, sa_type=DateTime(timezone=True))
    withdrawn_by: str | None = Field(None, max_length=255)
    withdrawn_at: datetime | None = Field(None, sa_type=DateTime(timezone=True))
    version: int = 1
