"""Instructions (领导批示) for the units they are addressed to: an instruction.issued event reaches its lead unit, an
instruction.mentioned event the unit mentioned (@), on each of the unit's enabled contacts.

A notification per contact beside the subscriptions' webhooks, in the transaction that records the event: its
dedupe key names the event and the contact, so a relay's repeat of the event queues nothing twice."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.json import JsonObject
from services.common.tables import table_of
from services.notify_api.contacts.models import Contact, OwnerKind
from services.notify_api.deliveries.models import Status

contacts = table_of(Contact)
# The event types that address a unit (data.unit_id), and how the notice names what happened.
UNIT_EVENTS = {"instruction.issued": "领导批示", "instruction.mentioned": "领导批示（提及）"}


def _int(data: JsonObject, key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def notice_text(kind: str, data: JsonObject, link: str | None) -> JsonObject:
    """The subject, text and markdown every channel reads (robots and e-mail), in Chinese."""
    author = f"{data.get('author_title') or ''}{data.get('author_name') or ''}"
    item = f"{data.get('item_number') or ''} {data.get('item_title') or ''}".strip()
    due = f"，请于{data['answer_by']}前反馈落实情况" if data.get("answer_by") else ""
    subject = f"【{kind}】{item}"
    text = f"{author}批示：{data.get('text') or ''}（事项：{item}{due}）"
    if data.get("reply"):  # mentioned in a reply of the thread: the reply first, the instruction after it
        text = f"批示回复中提及贵单位：{data['reply']}（原{text}）"
    markdown = f"### {subject}\n\n{text}" + (f"\n\n[查看事项]({link})" if link else "")
    return {"subject": subject, "text": text, "markdown": markdown}


async def _unit_contacts(conn: AsyncConnection, unit_id: int) -> list[tuple[int, str]]:
    """The unit's enabled contacts: (id, channel), in id order."""
    found = await conn.execute(
        select(contacts.c.id, contacts.c.channel)
        .where(
            contacts.c.owner_kind == OwnerKind.UNIT.value,
            contacts.c.owner_id == unit_id,
            contacts.c.enabled.is_(True),
        )
        .order_by(contacts.c.id)
    )
    return [(contact_id, channel) for contact_id, channel in found.all()]


async def unit_notifications(
    conn: AsyncConnection, event_id: str, event_type: str, message: JsonObject, *, now: datetime, trace: str | None
) -> list[dict[str, object]]:
    """The rows of the notifications an event addressed to a unit makes: one per enabled contact of the unit."""
    kind = UNIT_EVENTS.get(event_type)
    data = message.get("data")
    if kind is None or not isinstance(data, dict) or (unit_id := _int(data, "unit_id")) is None:
        return []
    found = await _unit_contacts(conn, unit_id)
    links = message.get("links")
    link = links.get("item") if isinstance(links, dict) else None
    payload = {**message, **notice_text(kind, data, link if isinstance(link, str) else None)}
    common = {
        "purpose": "event",
        "step": event_type,
        "plan_id": _int(data, "plan_id"),
        "item_id": _int(data, "item_id"),
        "unit_id": unit_id,
        "deadline_kind": "instruction",
        "deadline_id": _int(data, "instruction_id"),
        "recipient_kind": OwnerKind.UNIT.value,
        "recipient_id": unit_id,
        "payload": payload,
        "traceparent": trace,
        "status": Status.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    return [
        {
            **common,
            "dedupe_key": f"event:{event_id}:contact:{contact_id}",
            "contact_id": contact_id,
            "channel": channel,
            "webhook_id": "msg_" + uuid.uuid4().hex,
        }
        for contact_id, channel in found
    ]
