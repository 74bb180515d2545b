"""What the items and responsibilities routes take and answer (pydantic, not tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import pydantic
from pydantic import BaseModel
from sqlmodel import Field

from services.common.tables import SQLModelConfig
from services.tasks_api.db import KEY_PATTERN, TasksModel
from services.tasks_api.items.models import (
    GROUP,
    PRINTED_NAME,
    ItemFields,
    ItemState,
    ItemStatus,
    ResponsibilityFields,
    ResponsibilityStatus,
    Role,
)

OfficeStatus = Literal[ItemStatus.OPEN, ItemStatus.CANCELLED]


class ItemCreate(ItemFields):
    """A new item of a plan's tree (立项): a goal, section, task, platform, safeguard or annex entry."""

    model_config = SQLModelConfig(extra="forbid")
    key: str = Field(min_length=1, max_length=64, schema_extra={"pattern": KEY_PATTERN})
    parent_id: int | None = None
    position: int | None = Field(None, ge=0, description="Defaults to after the last sibling.")


class ItemUpdate(TasksModel):
    """Changes to an item; fields left out stay as they are."""

    model_config = SQLModelConfig(extra="forbid")
    number: str | None = Field(None, max_length=40)
    title: str | None = Field(None, min_length=1, max_length=500)
    text: str | None = Field(None, max_length=20000, description="The item's full text as printed (正文).")
    starts_on: date | None = None
    due_on: date | None = None
    status: OfficeStatus | None = Field(
        None,
        description="The office cancels an open item (cancelled) or restores "
        "a cancelled one (open); closing is 办结销号 (close-out).",
    )
    parent_id: int | None = None
    position: int | None = Field(None, ge=0)


class ItemPublic(ItemFields, ItemState):
    """An item of a plan's tree (任务条目)."""

    id: int
    plan_id: int
    parent_id: int | None
    key: str
    position: int
    original_due_on: date | None
    version: int


class ResponsibilityCreate(ResponsibilityFields):
    """Assign an item to a unit (交办), as lead or co-operating unit."""

    model_config = SQLModelConfig(extra="forbid")
    position: int | None = Field(None, ge=0, description="Defaults to after the last unit.")
    printed_name: str | None = Field(
        None, min_length=1, max_length=100, description=PRINTED_NAME + " Defaults to the unit's name."
    )
    group: int = Field(1, ge=1, description=GROUP)


class PlaceholderAssignment(TasksModel):
    """Units that take over a collective placeholder (市级有关部门 → named departments), in order: the first takes the
    placeholder's role, the others co-operate; each keeps the printed phrase."""

    model_config = SQLModelConfig(extra="forbid")
    unit_ids: list[int] = Field(min_length=1, max_length=100, description="The units, in the order they take over.")


class ResponsibilityPublic(TasksModel):
    """A unit's responsibility for an item (责任分工), with its acknowledgement (签收); without a unit, a collective
    phrase of the document the office must still assign (status to_be_assigned)."""

    id: int
    item_id: int
    unit_id: int | None = Field(description="Null while the responsibility is a collective placeholder.")
    role: Role = Field(description="lead (牵头) or co (配合).")
    position: int
    unit_name: str | None = Field(description="The unit's current name; null for a placeholder.")
    printed_name: str = Field(description=PRINTED_NAME)
    group: int = Field(description=GROUP)
    status: ResponsibilityStatus
    assigned_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class AssignedResponsibility(ResponsibilityPublic):
    """A unit's responsibility for an item (责任分工): what assigning, acknowledging or taking over a placeholder
    returns, always with its unit."""

    unit_id: int
    unit_name: str


class ItemDuty(BaseModel):
    """A responsible unit of an item as printed (责任单位及分工); without a unit, a collective phrase of the document
    (市级有关部门) the office must still assign."""

    unit_id: int | None = pydantic.Field(description="Null while the responsibility is a collective placeholder.")
    unit_name: str | None = pydantic.Field(description="The unit's name; null for a placeholder.")
    role: str = pydantic.Field(description="lead (牵头) or co (配合).", examples=["lead"])
    printed_name: str = pydantic.Field(
        description="The designation as printed, e.g. 市委组织部〔人才办〕 or 各县（市、区）."
    )
    group: int = pydantic.Field(description='The printed group, counted from 1 (groups are separated by "，").')
    status: ResponsibilityStatus


class LeaderRef(BaseModel):
    """A leader, by id and name."""

    id: int
    name: str
    title: str | None


class TreeNode(BaseModel):
    """One node of a plan's item tree."""

    id: int
    key: str
    kind: str
    number: str
    title: str
    status: str
    due_on: date | None
    lead_unit: str | None = pydantic.Field(description="Name of the lead unit (牵头单位), if assigned.")
    lead_to_be_assigned: str | None = pydantic.Field(
        None,
        description="The collective phrase that leads as printed (市级有关部门) "
        "while the office has not assigned it to a unit.",
    )
    children: list[TreeNode] = pydantic.Field(description="The items under this one, in printed order.")
