"""The data of the events tasks_api emits through its outbox (services/common/outbox.py), one shape per type
whichever write path makes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def assigned_event(item: dict[str, Any], duty: Mapping[str, Any]) -> dict[str, Any]:
    """`item.assigned`: which unit now answers for which item, in which role (lead or co)."""
    return {
        "responsibility_id": duty["id"],
        "plan_id": item["plan_id"],
        "item_id": item["id"],
        "item_key": item["key"],
        "item_number": item["number"],
        "item_title": item["title"],
        "unit_id": duty["unit_id"],
        "unit_name": duty["unit_name"],
        "role": duty["role"],
        "assigned_at": duty["assigned_at"],
    }


def extended_event(request: Mapping[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """`deadline.extended`: an approved extension moved a due date (the item's, or one milestone's)."""
    return {
        "extension_id": request["id"],
        "plan_id": item["plan_id"],
        "item_id": item["id"],
        "item_key": item["key"],
        "item_number": item["number"],
        "item_title": item["title"],
        "milestone_id": request["milestone_id"],
        "unit_id": request["unit_id"],
        "previous_due_on": request["previous_due_on"],
        "due_on": request["requested_due_on"],
        "decided_by": request["decided_by"],
        "decided_at": request["decided_at"],
    }
