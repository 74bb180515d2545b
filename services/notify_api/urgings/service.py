"""Bulk urging (批量催办): the office names items and units; each unit reached gets one notice listing its items.

Who answers for an item, and which items a unit has open, are read from tasks_api first, with no transaction open.
Then each unit's notice is one short transaction: a pending notification per enabled contact of the unit (the
deliverer sends, signs, retries and records them as any notice), a row in the unit's `urging` history, and the
notice.urged event. A unit without an enabled contact is refused and nothing of its notice is written; the other
units are urged."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from services.common import clock
from services.common.auth import Principal
from services.common.bulk import ElementStatus, distinct, each, record_bulk, refusal
from services.common.contracts.tasks import Item, TasksClient
from services.common.correlation import REQUEST_ID
from services.common.db import Database
from services.common.json import instant_text
from services.common.problems import Conflict, ProblemError
from services.notify_api.db import change_log
from services.notify_api.deliveries.models import Level, Status
from services.notify_api.events.service import publish_local_event
from services.notify_api.urgings import repository
from services.notify_api.urgings.repository import NoticeRow
from services.notify_api.urgings.schemas import (
    UrgedItemData,
    UrgingCreate,
    UrgingData,
    UrgingOutcome,
    UrgingPayload,
    UrgingResult,
    UrgingTarget,
)

NOTICE_URGED = "notice.urged"
URGING_ENTITY = "urging"  # a unit's urgings (催办记录), by unit id
EVENT_ID_NAMESPACE = uuid.UUID("0c5e1d4a-7b3f-4f0e-8d6a-75726769e702")
T = TypeVar("T")


@dataclass(slots=True)
class Addressee:
    """A unit to urge, and the items its notice lists (by id, in the order they were reached)."""

    name: str
    items: dict[int, UrgedItemData] = field(default_factory=dict)


@dataclass(slots=True)
class Resolution:
    """Who is urged about what, and the items and units named that reach nobody (with why)."""

    units: dict[int, Addressee] = field(default_factory=dict)
    refused: list[UrgingResult] = field(default_factory=list)

    def add(self, unit_id: int, unit_name: str, item: UrgedItemData) -> None:
        self.units.setdefault(unit_id, Addressee(unit_name)).items.setdefault(item["item_id"], item)

    def refuse(self, kind: UrgingTarget, element: int, exc: ProblemError) -> None:
        self.refused.append(
            UrgingResult(
                kind=kind, id=element, status=ElementStatus.REFUSED, item_ids=[], notifications=0, problem=refusal(exc)
            )
        )


async def _read(call: Awaitable[T]) -> T | ProblemError:
    """The peer's answer, or the problem it refused with (every call of a gather is awaited to its end)."""
    try:
        return await call
    except ProblemError as exc:
        return exc


async def _read_all(calls: Iterable[Awaitable[T]]) -> list[T | ProblemError]:
    """The answers of calls made at once; a 5xx among them (the peer gone) ends the request, nothing written."""
    answers = await asyncio.gather(*(_read(call) for call in calls))
    if failed := next((a for a in answers if isinstance(a, ProblemError) and a.status >= 500), None):
        raise failed
    return answers


async def resolve(tasks: TasksClient, data: UrgingCreate) -> Resolution:
    """Read tasks_api (no transaction open): each item's responsible units, each unit's open items."""
    found = Resolution()
    await _resolve_items(tasks, distinct(data.item_ids), found)
    await _resolve_units(tasks, distinct(data.unit_ids), found)
    return found


async def _resolve_items(tasks: TasksClient, item_ids: list[int], found: Resolution) -> None:
    details = await _read_all(tasks.item(i, fresh=True) for i in item_ids)
    for item_id, detail in zip(item_ids, details, strict=True):
        if isinstance(detail, ProblemError):
            found.refuse(UrgingTarget.ITEM, item_id, detail)
        elif detail.status != "open":
            found.refuse(UrgingTarget.ITEM, item_id, Conflict(f"Item {item_id} is {detail.status}: nothing to urge."))
        elif not detail.responsibilities:
            found.refuse(UrgingTarget.ITEM, item_id, Conflict(f"Item {item_id} has no responsible unit to urge."))
        else:
            for duty in detail.responsibilities:
                found.add(duty.unit_id, duty.unit_name, _item(detail, duty.role))


async def _resolve_units(tasks: TasksClient, unit_ids: list[int], found: Resolution) -> None:
    units = await _read_all(tasks.unit(u) for u in unit_ids)
    owned = await _read_all(tasks.unit_items(u) for u in unit_ids)
    for unit_id, unit, items in zip(unit_ids, units, owned, strict=True):
        if isinstance(unit, ProblemError):
            found.refuse(UrgingTarget.UNIT, unit_id, unit)
            continue
        if isinstance(items, ProblemError):
            found.refuse(UrgingTarget.UNIT, unit_id, items)
            continue
        open_items = [item for item in items if item.status == "open"]
        if not open_items and unit_id not in found.units:
            found.refuse(UrgingTarget.UNIT, unit_id, Conflict(f"Unit {unit_id} has no open item to urge."))
        for item in open_items:
            found.add(unit_id, unit.name, _item(item, item.role))


def _item(item: Item, role: str) -> UrgedItemData:
    return {
        "item_id": item.id,
        "plan_id": item.plan_id,
        "item_number": item.number,
        "item_title": item.title,
        "role": role,
    }


# -- writing: one transaction per unit's notice ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Urging:
    """What every notice of one urging shares."""

    id: str
    message: str
    actor: str
    base_url: str


def _data(urging: Urging, unit_id: int, addressee: Addressee, notifications: int) -> UrgingData:
    items = list(addressee.items.values())
    plans = {item["plan_id"] for item in items}
    return {
        "urging_id": urging.id,
        "unit_id": unit_id,
        "unit_name": addressee.name,
        "plan_id": next(iter(plans)) if len(plans) == 1 else None,
        "item_id": items[0]["item_id"] if len(items) == 1 else None,
        "items": items,
        "message": urging.message,
        "urged_by": urging.actor,
        "urged_at": instant_text(clock.now()),
        "notifications": notifications,
    }


def render(data: UrgingData) -> UrgingPayload:
    """The notice people read (黄色催办单): the office's words, then the items one by one."""
    subject = f"【催办】{data['unit_name']}：请抓紧推进{len(data['items'])}项工作"
    lines = [
        f"{i['item_number']} {i['item_title']}（{'牵头' if i['role'] == 'lead' else '配合'}）" for i in data["items"]
    ]
    text = "\n".join([f"黄色催办单：{subject}", f"催办意见：{data['message']}", *lines])
    markdown = "\n".join([f"#### {subject}", "", f"> {data['message']}", "", *(f"- {line}" for line in lines)])
    return {"subject": subject, "text": text, "markdown": markdown, "data": data}


def _rows(urging: Urging, unit_id: int, contacts: list[tuple[int, str]], payload: UrgingPayload) -> list[NoticeRow]:
    now, data = clock.now(), payload["data"]
    return [
        {
            "dedupe_key": f"urging:{urging.id}:{unit_id}:{contact_id}:{channel}",
            "purpose": "urging",
            "level": Level.YELLOW.value,
            "step": "urging",
            "plan_id": data["plan_id"],
            "item_id": data["item_id"],
            "unit_id": unit_id,
            "recipient_kind": "unit",
            "recipient_id": unit_id,
            "contact_id": contact_id,
            "channel": channel,
            "payload": payload,
            "webhook_id": "msg_" + uuid.uuid4().hex,
            "status": Status.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for contact_id, channel in contacts
    ]


async def urge_unit(db: Database, urging: Urging, unit_id: int, addressee: Addressee) -> int:
    """One unit's notice, wholly or not at all: its deliveries, its history row and notice.urged."""
    async with db.transaction() as conn:
        contacts = await repository.unit_contacts(conn, unit_id)
        if not contacts:
            raise Conflict(f"Unit {unit_id} has no enabled contact to send the notice to; add one and urge again.")
        data = _data(urging, unit_id, addressee, len(contacts))
        await repository.queue_notices(conn, _rows(urging, unit_id, contacts, render(data)))
        did = {"urging_id": urging.id, "items": list(addressee.items), "message": urging.message, "sent": len(contacts)}
        await record_bulk(conn, change_log, entity=URGING_ENTITY, entity_id=unit_id, actor=urging.actor, did=did)
        event_id = str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{NOTICE_URGED}:{urging.id}:{unit_id}"))
        await publish_local_event(conn, NOTICE_URGED, data, base_url=urging.base_url, event_id=event_id)
        return len(contacts)


async def urge_many(
    db: Database, tasks: TasksClient, *, data: UrgingCreate, principal: Principal, base_url: str
) -> UrgingOutcome:
    """批量催办: read who answers for what, then urge each unit in its own transaction."""
    found = await resolve(tasks, data)
    urging = Urging(uuid.uuid4().hex, data.message, principal.subject, base_url)

    queued: dict[int, int] = {}

    async def urge(unit_id: int) -> None:
        queued[unit_id] = await urge_unit(db, urging, unit_id, found.units[unit_id])

    results = [
        UrgingResult(
            kind=UrgingTarget.UNIT,
            id=r.id,
            status=r.status,
            item_ids=list(found.units[r.id].items) if r.status is ElementStatus.OK else [],
            notifications=queued.get(r.id, 0),
            problem=r.problem,
        )
        for r in await each(found.units, urge)
    ]
    results += found.refused
    done = sum(r.status is ElementStatus.OK for r in results)
    return UrgingOutcome(
        urging_id=urging.id, request_id=REQUEST_ID.get(), succeeded=done, refused=len(results) - done, results=results
    )
