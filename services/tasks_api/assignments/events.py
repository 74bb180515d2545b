"""The data of the events tasks_api emits through its outbox (services/common/outbox.py), one shape per type
whichever write path makes them."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from services.tasks_api.items.events import ItemFields, item_fields
from services.tasks_api.items.repository import ItemRef


class AssignedDuty(TypedDict):
    """What `item.assigned` says of the new responsibility (a DutyRow, or a row a plan import wrote)."""

    id: int
    unit_id: int | None
    unit_name: str | None
    role: str
    assigned_at: datetime


class AssignedEvent(ItemFields):
    """The data of `item.assigned`."""

    responsibility_id: int
    unit_id: int | None
    unit_name: str | None
    role: str
    assigned_at: datetime


class ExtensionDecided(TypedDict):
    """What `deadline.extended` says of the approved request (the deadlines room's ExtensionRow)."""

    id: int
    milestone_id: int | None
    unit_id: int | None
    previous_due_on: date | None
    requested_due_on: date
    decided_by: str | None
    decided_at: datetime | None


class ExtendedEvent(ItemFields):
    """The data of `deadline.extended`."""

    extension_id: int
    milestone_id: int | None
    unit_id: int | None
    unit_name: str | None
    previous_due_on: date | None
    due_on: date
    decided_by: str | None
    decided_at: datetime | None


def assigned_event(item: ItemRef, duty: AssignedDuty) -> AssignedEvent:
    """`item.assigned`: which unit now answers for which item, in which role (lead or co)."""
    return {
        "responsibility_id": duty["id"],
        **item_fields(item),
        "unit_id": duty["unit_id"],
        "unit_name": duty["unit_name"],
        "role": duty["role"],
        "assigned_at": duty["assigned_at"],
    }


def extended_event(request: ExtensionDecided, item: ItemRef, unit_name: str | None) -> ExtendedEvent:
    """`deadline.extended`: an approved extension moved a due date (the item's, or one milestone's), asked for by
    the unit named."""
    return {
        "extension_id": request["id"],
        **item_fields(item),
        "milestone_id": request["milestone_id"],
        "unit_id": request["unit_id"],
        "unit_name": unit_name,
        "previous_due_on": request["previous_due_on"],
        "due_on": request["requested_due_on"],
        "decided_by": request["decided_by"],
        "decided_at": request["decided_at"],
    }
