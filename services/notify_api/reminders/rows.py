"""The outbox rows a dispatch writes, built from the notices addressed (pure: no I/O).

A step is one row per (deadline, step, recipient, contact, channel), or one digest row per (contact, day) where the
rule asks for digests. Each row is known by its exactly-once key first; its message is rendered only when the row
is new (repository.write_rows builds the rows as it writes them)."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

from services.common import clock
from services.notify_api.contacts.models import OwnerKind
from services.notify_api.deliveries.models import Status
from services.notify_api.reminders.addressing import Addressed
from services.notify_api.reminders.schemas import Delivery, OutboxRow
from services.notify_api.reminders.steps import release_time
from services.notify_api.reminders.templates import render_digest, render_notice, top_level
from services.notify_api.rules.rule import Rule

DIGEST_MAX_NOTICES = 50  # about 40 KB of webhook body; robots cut their own shorter messages (channels/robots.py)


@dataclass(slots=True)
class Writing:
    """What every row of one dispatch shares, and the fresh message ids its rows take one by one."""

    as_of: datetime
    dispatch_id: int
    created_at: datetime
    webhook_ids: Iterator[str]
    release_times: dict[tuple[str, str], datetime]

    @classmethod
    def of(cls, rows: int, *, as_of: datetime, dispatch_id: int) -> Writing:
        created_at = clock.now()
        return cls(as_of, dispatch_id, created_at, message_ids(rows, created_at), {})

    def release_time(self, rule: Rule) -> datetime:
        """When a notice under `rule` may go out: the same for every row with the same quiet hours."""
        hours = (rule.quiet_start, rule.quiet_end)
        if hours not in self.release_times:
            self.release_times[hours] = release_time(self.as_of, *hours)
        return self.release_times[hours]


def message_ids(count: int, moment: datetime) -> Iterator[str]:
    """Unique `webhook-id`s that sort in the order they are taken, like Svix's KSUID-based ones: the milliseconds,
    a counter, then 48 random bits for planners writing in the same millisecond. Rows are written in key order,
    so the unique index on webhook_id grows at its end instead of splitting pages all over a million-row tree.
    One urandom call serves them all: uuid4() per row made a system call per row, a tenth of a dispatch."""
    prefix = f"msg_{int(moment.timestamp() * 1000):012x}"
    noise = os.urandom(6 * count).hex()
    return (f"{prefix}{n:08x}{noise[12 * n : 12 * n + 12]}" for n in range(count))


def _delivery(a: Addressed, writing: Writing, *, send_at: datetime) -> Delivery:
    """Who gets the row, on which contact, and its delivery state: pending, due at `send_at`."""
    return {
        "recipient_kind": a.recipient_kind,
        "recipient_id": a.recipient_id,
        "contact_id": a.contact.id,
        "channel": a.contact.channel,
        "webhook_id": next(writing.webhook_ids),
        "status": Status.PENDING.value,
        "attempts": 0,
        "next_attempt_at": send_at,
        "lease_until": None,
        "last_error": None,
        "dispatch_id": writing.dispatch_id,
        "created_at": writing.created_at,
        "delivered_at": None,
        "read_at": None,
    }


def _unit_about(a: Addressed) -> int:
    """The unit a notice is about: the recipient unit itself, else (leaders, office) the lead unit."""
    if a.recipient_kind == OwnerKind.UNIT:
        return a.recipient_id
    return next((u for u in a.notice.units if u.role == "lead"), a.notice.units[0]).unit_id


class Single(NamedTuple):
    """A notice to one contact, known by its key; its row (with the rendered message) is built only if new."""

    dedupe_key: str
    addressed: Addressed

    @classmethod
    def of(cls, a: Addressed) -> Single:
        d, step, contact = a.notice.deadline, a.notice.step, a.contact
        return cls(
            f"reminder:{d.ref}:{d.due_on.isoformat()}:{step.name}:{a.recipient_kind}:{a.recipient_id}:"
            f"{contact.id}:{contact.channel}",
            a,
        )

    def row(self, writing: Writing) -> OutboxRow:
        a = self.addressed
        d, step = a.notice.deadline, a.notice.step
        return {
            "dedupe_key": self.dedupe_key,
            "purpose": "reminder",
            "level": step.level.value,
            "step": step.name,
            "payload": render_notice(a.notice),
            "plan_id": d.plan_id,
            "item_id": d.item_id,
            "unit_id": _unit_about(a),
            "deadline_kind": d.kind,
            "deadline_id": d.id,
            "due_on": d.due_on,
            **_delivery(a, writing, send_at=writing.release_time(a.rule)),
        }


@dataclass(frozen=True, slots=True)
class Digest:
    """A contact's day, composed by the day's first dispatch (its key is the contact and the day)."""

    dedupe_key: str
    group: list[Addressed]

    @classmethod
    def parts(cls, group: list[Addressed]) -> list[Digest]:
        """The day's digest, split into messages of at most DIGEST_MAX_NOTICES (a receiver's body limit is never
        met by an office with hundreds of overdue items); the first part keeps the day's key, the next add :2, :3."""
        first = group[0]
        key = f"digest:{first.contact.id}:{first.notice.today.isoformat()}"
        chunks = [group[i : i + DIGEST_MAX_NOTICES] for i in range(0, len(group), DIGEST_MAX_NOTICES)]
        return [cls(key if n == 1 else f"{key}:{n}", chunk) for n, chunk in enumerate(chunks, 1)]

    def row(self, writing: Writing) -> OutboxRow:
        first, today = self.group[0], self.group[0].notice.today
        notices = [a.notice for a in self.group]
        plans = {n.deadline.plan_id for n in notices}
        send_at = max(writing.release_time(a.rule) for a in self.group)
        return {
            "dedupe_key": self.dedupe_key,
            "purpose": "digest",
            "level": top_level(notices).value,
            "step": "digest",
            "payload": render_digest(today, notices),
            "plan_id": plans.pop() if len(plans) == 1 else None,
            "item_id": None,
            "unit_id": first.recipient_id if first.recipient_kind == OwnerKind.UNIT else None,
            "deadline_kind": None,
            "deadline_id": None,
            "due_on": None,
            **_delivery(first, writing, send_at=send_at),
        }


Planned = Single | Digest
DigestedStep = tuple[int, str, str, str]  # a contact, and a deadline's ref, due date and step a digest listed


def planned_rows(addressed: list[Addressed], digested: Container[DigestedStep] = ()) -> list[Planned]:
    """Single notices, and one digest per contact for the notices whose rule asks for digests (but the steps an
    earlier digest of the contact listed: `digested`, repository.digested_steps), in key order: the unique index on
    dedupe_key then grows at its end instead of all over."""
    digests: dict[int, list[Addressed]] = defaultdict(list)
    for a in addressed:
        d = a.notice.deadline
        if a.rule.digest and (a.contact.id, d.ref, d.due_on.isoformat(), a.notice.step.name) not in digested:
            digests[a.contact.id].append(a)
    planned: list[Planned] = [Single.of(a) for a in addressed if not a.rule.digest]
    planned += [part for group in digests.values() for part in Digest.parts(group)]
    return sorted(planned, key=attrgetter("dedupe_key"))
