"""What the close-out routes take and answer (pydantic, not tables)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import model_validator
from sqlmodel import Field

from services.common.tables import SQLModelConfig
from services.tasks_api.closeout.models import CloseoutFields, CloseoutStatus
from services.tasks_api.db import TasksModel


class CloseoutCreate(CloseoutFields):
    """The lead unit's request to close an item (办结销号申请), with a summary of its results."""

    model_config = SQLModelConfig(extra="forbid")


class CloseoutDecision(TasksModel):
    """The office's decision on a close-out request: approve (销号), or refuse with a reason (退回)."""

    model_config = SQLModelConfig(extra="forbid")
    approve: bool = Field(description="true closes the item; false refuses the request.")
    reason: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        description="The office's opinion (审批意见); required when refusing (退回理由).",
    )

    @model_validator(mode="after")
    def _reason_when_refusing(self) -> CloseoutDecision:
        if not self.approve and self.reason is None:
            raise ValueError("A refusal needs a reason.")
        return self


class Reopening(TasksModel):
    """The office reopens a closed item (重新打开), with its reason."""

    model_config = SQLModelConfig(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000, description="Why the item is reopened (重新打开理由).")


class CloseoutPublic(CloseoutFields):
    """A close-out request of an item (销号申请) and the office's decision on it."""

    id: int
    item_id: int
    unit_id: int | None = Field(description="The lead unit that asked.")
    status: CloseoutStatus
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None = Field(
        description="The office's opinion (审批意见), the reason of a refusal; null while pending."
    )
    closed_on: date | None = Field(description="The business day the item was closed by this request's approval.")
    version: int
