"""The payloads of the item.* and deadline.* events tasks_api publishes (交办、延期、办结销号)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class ItemEventData(BaseModel):
    """What every item event says of its item: which plan, its number and title, its due date and its status."""

    plan_id: int
    item_id: int
    item_key: str = Field(description="The item's key in the plan file (事项键), stable across imports.")
    item_number: str
    item_title: str
    item_due_on: date | None = Field(description="The item's due date (完成时限) after this event; null: none set.")
    item_status: str | None = Field(
        description="The item's status after this event: open, closed (办结) or cancelled (撤销)."
    )


class ItemAssignedData(ItemEventData):
    """item.assigned: a unit now answers for an item (交办), as lead (牵头) or co-operating (配合) unit."""

    responsibility_id: int
    unit_id: int | None
    unit_name: str | None
    role: str = Field(description="lead (牵头) or co (配合).")
    assigned_at: datetime


class DeadlineExtendedData(ItemEventData):
    """deadline.extended: the office approved an extension (延期); the item's or one milestone's due date moved."""

    extension_id: int = Field(description="The approved extension request (延期申请).")
    milestone_id: int | None = Field(description="The milestone whose date moved; null: the item's own due date.")
    unit_id: int | None = Field(description="The unit that asked for the extension.")
    unit_name: str | None = Field(description="Its name (申请单位).")
    previous_due_on: date | None
    due_on: date = Field(description="The new due date (延期后截止日期).")
    decided_by: str | None
    decided_at: datetime | None


class CloseoutEventData(ItemEventData):
    """What the four close-out events say: which request (null when a parent follows its children), who acted,
    the business day it closed on and the reason given."""

    closeout_id: int | None = Field(
        description="The close-out request (办结申请); null when a parent follows its children."
    )
    unit_id: int | None = Field(description="The unit that asked for the close-out.")
    unit_name: str | None = Field(description="Its name (申请单位).")
    closed_on: date | None = Field(description="The Beijing business day it closed on (办结日期), for item.closed.")
    reason: str | None = Field(description="A refusal's or a reopening's reason.")
    actor: str


class CloseoutRequestedData(CloseoutEventData):
    """item.closeout_requested: the lead unit asked to close an item out (办结申请)."""


class ItemClosedData(CloseoutEventData):
    """item.closed: the item is closed (办结销号), by the office's approval or with its last open child."""


class CloseoutRefusedData(CloseoutEventData):
    """item.closeout_refused: the office refused a close-out request; the item stays open."""


class ItemReopenedData(CloseoutEventData):
    """item.reopened: a closed item is open again (重新打开), or a closed parent with its reopened child."""


class DelegationEventData(ItemEventData):
    """What the delegation events say: which delegation (转办) of the item, between which two units, and who acted."""

    delegation_id: int = Field(description="The delegation (转办记录).")
    parent_delegation_id: int | None = Field(
        description="The delegation the delegating unit itself received; null: it answers for the item."
    )
    from_unit_id: int = Field(description="The delegating unit (转办单位), which reviews the delegate's reports.")
    from_unit_name: str = Field(description="Its name (转办单位).")
    to_unit_id: int = Field(description="The delegate (承办单位), a sub-unit of the delegating unit.")
    to_unit_name: str = Field(description="Its name (承办单位).")
    scope: str = Field(description="The part of the item passed down (转办内容).")
    due_on: date | None = Field(description="The delegate's due date (办理时限); null: the item's.")
    status: str = Field(description="The delegation's status after this event: pending, acknowledged or withdrawn.")
    delegated_at: datetime = Field(description="When the item was delegated.")
    actor: str


class ItemDelegatedData(DelegationEventData):
    """item.delegated: a unit passed part of an item down to one of its sub-units (转办)."""


class DelegationAcknowledgedData(DelegationEventData):
    """delegation.acknowledged: the delegate acknowledged the delegation (签收)."""


class DelegationWithdrawnData(DelegationEventData):
    """delegation.withdrawn: the delegating unit took the delegation back (撤回), or one it came from."""


class DelegationDeletedData(DelegationEventData):
    """delegation.deleted: the delegation was deleted with a unit deleted (its delegating unit, its delegate, or a
    unit up its chain); its status is the one it had."""
