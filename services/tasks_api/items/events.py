"""The data of the item events tasks_api emits through its outbox: what each says of its item (ItemFields, which the
assignment, extension and delegation events carry too), and the close-out events, one shape for the four types:
`item.closeout_requested`, `item.closed`, `item.closeout_refused` and `item.reopened`."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from services.tasks_api.items.repository import ItemRef


class RequestRef(TypedDict):
    """What a close-out event names of the request it is about (closeout/repository.CloseoutRow is one)."""

    id: int
    unit_id: int | None


class ItemFields(TypedDict):
    """What every item event says of its item, as the change left it (so a subscriber need not call back for it)."""

    plan_id: int
    item_id: int
    item_key: str
    item_number: str
    item_title: str
    item_due_on: date | None
    item_status: str


def item_fields(item: ItemRef) -> ItemFields:
    return {
        "plan_id": item["plan_id"],
        "item_id": item["id"],
        "item_key": item["key"],
        "item_number": item["number"],
        "item_title": item["title"],
        "item_due_on": item["due_on"],
        "item_status": item["status"],
    }


class CloseoutEvent(ItemFields):
    """The data of the four close-out events."""

    closeout_id: int | None
    unit_id: int | None
    unit_name: str | None
    closed_on: date | None
    reason: str | None
    actor: str


def closeout_event(
    item: ItemRef,
    *,
    actor: str,
    request: RequestRef | None = None,
    unit_name: str | None = None,
    closed_on: date | None = None,
    reason: str | None = None,
) -> CloseoutEvent:
    """Which item (as the change left it), which request and its unit (null when a parent closes or reopens with its
    children), who acted, the business day it closed on and the reason given (a refusal's or a reopening's)."""
    return {
        **item_fields(item),
        "closeout_id": request["id"] if request else None,
        "unit_id": request["unit_id"] if request else None,
        "unit_name": unit_name if request else None,
        "closed_on": closed_on,
        "reason": reason,
        "actor": actor,
    }
