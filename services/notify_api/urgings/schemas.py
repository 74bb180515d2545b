"""What a bulk urging (批量催办) takes and answers."""

from __future__ import annotations

from enum import StrEnum
from typing import Self, TypedDict

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.common.bulk import MAX_ELEMENTS, ElementId, ElementStatus
from services.common.problems import Problem

MESSAGE_LIMIT = 2000


class UrgingCreate(BaseModel):
    """The office urges (催办) the units of some items, and some units about all their open items: one notice per
    unit, listing its items, on each of the unit's enabled contacts."""

    model_config = ConfigDict(extra="forbid")
    item_ids: list[ElementId] = Field(
        default_factory=list, max_length=MAX_ELEMENTS, description="Items whose responsible units are urged about them."
    )
    unit_ids: list[ElementId] = Field(
        default_factory=list, max_length=MAX_ELEMENTS, description="Units urged about every open item of theirs."
    )
    message: str = Field(
        min_length=1,
        max_length=MESSAGE_LIMIT,
        pattern=r"\S",
        description="The office's words (催办意见).",
        examples=["请于本周五前报送进展情况。"],
    )

    @model_validator(mode="after")
    def _some_but_not_too_many(self) -> Self:
        named = len(self.item_ids) + len(self.unit_ids)
        if not 1 <= named <= MAX_ELEMENTS:
            raise ValueError(f"name 1 to {MAX_ELEMENTS} items and units in all ({named} named)")
        return self


class UrgingTarget(StrEnum):
    """What a result is about: a unit (its notice) or an item named that reached no unit."""

    UNIT = "unit"
    ITEM = "item"


class UrgingResult(BaseModel):
    """One notice of a bulk urging (kind unit), or an item or unit named that could not be urged."""

    kind: UrgingTarget
    id: int = Field(description="The unit's or the item's id.")
    status: ElementStatus
    item_ids: list[int] = Field(description="The items the unit's notice lists (empty for a refusal).")
    notifications: int = Field(description="Deliveries queued to the unit's contacts.")
    problem: Problem | None = Field(None, description="Why it was refused: the problem document.")


class UrgingOutcome(BaseModel):
    """What a bulk urging did: one result per unit urged, and one per item or unit that could not be."""

    urging_id: str = Field(description="The urging's id: in each notice, its history rows and notice.urged.")
    request_id: str | None = Field(description="The request's id (X-Request-ID).")
    succeeded: int = Field(description="How many units were urged.")
    refused: int = Field(description="How many units, and items or units named, could not be urged; each says why.")
    results: list[UrgingResult] = Field(description="One per unit urged, then one per refusal.")


class UrgedItemData(TypedDict):
    """An item a notice lists (the catalogue's UrgedItem)."""

    item_id: int
    plan_id: int
    item_number: str
    item_title: str
    role: str


class UrgingData(TypedDict):
    """What a notice says, for machines: notice.urged's payload (the catalogue's NoticeUrgedData)."""

    urging_id: str
    unit_id: int
    unit_name: str
    plan_id: int | None
    item_id: int | None
    items: list[UrgedItemData]
    message: str
    urged_by: str
    urged_at: str  # RFC 3339, as the payload is JSON
    notifications: int


class UrgingPayload(TypedDict):
    """A notice as every channel reads it: subject, plain text, markdown and its data."""

    subject: str
    text: str
    markdown: str
    data: UrgingData
