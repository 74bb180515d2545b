"""What the extension and deadline routes take and answer (pydantic, not tables)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import pydantic
from pydantic import BaseModel
from sqlmodel import Field

from services.common.tables import SQLModelConfig
from services.tasks_api.db import TasksModel
from services.tasks_api.deadlines.models import ExtensionFields, ExtensionStatus


class UnitRole(BaseModel):
    """A unit and its role on an item (责任单位及分工)."""

    unit_id: int
    unit_name: str
    role: str = pydantic.Field(description="lead (牵头) or co (配合).", examples=["lead"])


class ExtensionCreate(ExtensionFields):
    """A request to move an item's due date later (延期申请), with its reason."""

    model_config = SQLModelConfig(extra="forbid")


class ExtensionDecision(TasksModel):
    """The office's decision on an extension request (延期审批)."""

    model_config = SQLModelConfig(extra="forbid")
    approve: bool = Field(description="true approves (批准), false rejects (驳回).")
    comment: str | None = Field(None, max_length=2000, description="审核意见")


class ExtensionPublic(ExtensionFields):
    """An extension request and, once decided, its decision (延期申请)."""

    id: int
    item_id: int
    unit_id: int | None
    previous_due_on: date | None
    status: ExtensionStatus
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_comment: str | None = Field(
        description="The office's reason for its decision (审批意见); null while pending."
    )
    version: int


class DeadlineKind(StrEnum):
    """What a deadline belongs to (时限类型): an item, a milestone or an indicator's target date."""

    INDICATOR = "indicator"
    ITEM = "item"
    MILESTONE = "milestone"


class Deadline(BaseModel):
    """Something due on a day of an open item: the item's due date, an open milestone or an indicator's target."""

    kind: DeadlineKind
    id: int
    item_id: int
    plan_id: int
    item_key: str
    item_number: str
    item_title: str = Field(description="The title of the item the deadline belongs to (an item's: its own).")
    title: str
    due_on: date
    original_due_on: date | None
    units: list[UnitRole]
