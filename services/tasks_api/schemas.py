"""Response shapes of tasks_api that are not one table's record."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class ImportResult(BaseModel):
    """What an import did, counted per kind of record (created, updated, deleted)."""

    plan_id: int
    counts: dict[str, int] = Field(description="e.g. {\"item.created\": 105}; empty when nothing changed.")


class UnitRole(BaseModel):
    """A unit and its role on an item (责任单位及分工)."""

    unit_id: int
    unit_name: str
    role: str = Field(description="lead (牵头) or co (配合).", examples=["lead"])


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
    children: list[TreeNode] = Field(description="The items under this one, in printed order.")
