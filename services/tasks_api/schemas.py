"""Response shapes of tasks_api that are not one table's record."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from services.tasks_api.items.models import ResponsibilityStatus


class ImportResult(BaseModel):
    """What an import did, counted per kind of record (created, updated, deleted)."""

    plan_id: int
    counts: dict[str, int] = Field(description='e.g. {"item.created": 105}; empty when nothing changed.')


class UnitRole(BaseModel):
    """A unit and its role on an item (责任单位及分工)."""

    unit_id: int
    unit_name: str
    role: str = Field(description="lead (牵头) or co (配合).", examples=["lead"])


class ItemDuty(BaseModel):
    """A responsible unit of an item as printed (责任单位及分工); without a unit, a collective phrase of the document
    (市级有关部门) the office must still assign."""

    unit_id: int | None = Field(description="Null while the responsibility is a collective placeholder.")
    unit_name: str | None = Field(description="The unit's name; null for a placeholder.")
    role: str = Field(description="lead (牵头) or co (配合).", examples=["lead"])
    printed_name: str = Field(description="The designation as printed, e.g. 市委组织部〔人才办〕 or 各县（市、区）.")
    group: int = Field(description='The printed group, counted from 1 (groups are separated by "，").')
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
    lead_unit: str | None = Field(description="Name of the lead unit (牵头单位), if assigned.")
    lead_to_be_assigned: str | None = Field(
        None,
        description="The collective phrase that leads as printed (市级有关部门) "
        "while the office has not assigned it to a unit.",
    )
    children: list[TreeNode] = Field(description="The items under this one, in printed order.")
