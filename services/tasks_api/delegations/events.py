"""The data of the delegation events tasks_api emits through its outbox, one shape for the three types:
`item.delegated`, `delegation.acknowledged`, `delegation.withdrawn` and `delegation.deleted`."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from services.tasks_api.delegations.repository import DelegationView
from services.tasks_api.items.repository import ItemRef


class DelegationEvent(TypedDict):
    """The data of the three delegation events."""

    plan_id: int
    item_id: int
    item_key: str
    item_number: str
    item_title: str
    item_due_on: date | None
    item_status: str
    delegation_id: int
    parent_delegation_id: int | None
    from_unit_id: int
    from_unit_name: str
    to_unit_id: int
    to_unit_name: str
    scope: str
    due_on: date | None
    status: str
    delegated_at: datetime
    actor: str


def delegation_event(item: ItemRef, delegation: DelegationView, *, actor: str) -> DelegationEvent:
    """Which item, which delegation (as the change left it) between which two units, and who acted."""
    return {
        "plan_id": item["plan_id"],
        "item_id": item["id"],
        "item_key": item["key"],
        "item_number": item["number"],
        "item_title": item["title"],
        "item_due_on": item["due_on"],
        "item_status": item["status"],
        "delegation_id": delegation["id"],
        "parent_delegation_id": delegation["parent_delegation_id"],
        "from_unit_id": delegation["from_unit_id"],
        "from_unit_name": delegation["from_unit_name"],
        "to_unit_id": delegation["to_unit_id"],
        "to_unit_name": delegation["to_unit_name"],
        "scope": delegation["scope"],
        "due_on": delegation["due_on"],
        "status": delegation["status"],
        "delegated_at": delegation["delegated_at"],
        "actor": actor,
    }
