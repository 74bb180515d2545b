"""The data of the delegation events tasks_api emits through its outbox, one shape for the three types:
`item.delegated`, `delegation.acknowledged`, `delegation.withdrawn` and `delegation.deleted`."""

from __future__ import annotations

from datetime import date, datetime

from services.tasks_api.delegations.repository import DelegationView
from services.tasks_api.items.events import ItemFields, item_fields
from services.tasks_api.items.repository import ItemRef


class DelegationEvent(ItemFields):
    """The data of the three delegation events."""

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
        **item_fields(item),
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
