"""The planner: what is due as of a moment, written to the outbox exactly once.

For every deadline in a window around `as_of` (tasks_api's calendar, and reports not yet submitted) the
plan's rule says which step is due today (steps.py); each responsible unit's enabled contacts get it, and a
red step also goes to the item's lead leaders and the office. A step is one row per (deadline, step,
recipient, contact, channel), or one digest row per (contact, day) where the rule asks for digests. Rows
are inserted with ON CONFLICT (dedupe_key) DO NOTHING, so a second run, or a concurrent one, adds nothing.
A red step also publishes notice.escalated (escalations.py) in the same transaction. A dispatch first finds
what is due (its own tables in a short read, then the peers over HTTP), and only then writes.
"""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.clock import business_date
from services.common.collector import collector_paused
from services.common.contracts.reporting import ReportingClient
from services.common.contracts.tasks import Item, TasksClient
from services.common.db import Database, copy_rows, driver_connection
from services.common.tables import table_of
from services.notify_api.contacts.models import Contact, OwnerKind
from services.notify_api.deliveries.models import Level, Notification, Status
from services.notify_api.events.service import is_subscribed
from services.notify_api.reminders.deadlines import Deadline, Duty, deadlines_between, unit_report_deadline_of
from services.notify_api.reminders.escalations import NOTICE_ESCALATED, Escalation, publish_escalations
from services.notify_api.reminders.steps import (
    DEFAULT_RULE,
    Rule,
    Step,
    aware,
    due_step,
    release_time,
)
from services.notify_api.reminders.templates import (
    Notice,
    render_digest,
    render_notice,
    top_level,
)
from services.notify_api.rules.service import (
    active_pauses,
    is_paused,
    rule_book,
    rule_for,
)
from services.notify_api.settings import NotifySettings

notifications, contacts = table_of(Notification), table_of(Contact)
OUTBOX_COLUMNS = [column.name for column in notifications.c if column.name != "id"]

# Overdue notices stop this long after the due date: by then the deadline is the office's business, not a
# robot's (and tasks_api serves a window of at most 400 days: this plus the longest rule step fits).
OVERDUE_HORIZON_DAYS = 180
BATCH_ROWS = 500  # rows per INSERT on SQLite: ~12,000 bound parameters, under its limit
OUTBOX_WRITER_LOCK = 0x6475_6261_6E4F_5554  # the advisory lock planners write the outbox under ("dubanOUT")


@dataclass(frozen=True, slots=True)
class Due:
    """A deadline whose rule has a step due today."""

    deadline: Deadline
    rule: Rule
    step: Step
    units: tuple[Duty, ...]  # its units that are not paused


@dataclass(frozen=True, slots=True)
class Addressed:
    """A notice for one contact of one recipient."""

    notice: Notice
    rule: Rule
    recipient_kind: str
    recipient_id: int
    contact: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PlanContext:
    title: str
    items: dict[int, Item]
    leaders: dict[int, list[int]]  # item id → its lead leaders (分管市领导)


@dataclass(frozen=True, slots=True)
class Setup:
    """What a dispatch reads from notify_api's own database before it asks the peers anything."""

    reach: dict[tuple[str, int], list[dict[str, Any]]]
    book: dict[tuple[int, str], Rule]
    pauses: list[dict[str, Any]]
    escalations_wanted: bool  # an enabled subscription takes notice.escalated


@dataclass(frozen=True, slots=True)
class Found:
    """What is due as of a moment, computed but not yet written."""

    as_of: datetime
    addressed: list[Addressed]
    escalations: list[Escalation]


async def read_setup(conn: AsyncConnection, today: date) -> Setup:
    reach = await contact_book(conn)
    book, pauses = await rule_book(conn), await active_pauses(conn, today)
    return Setup(reach, book, pauses, await is_subscribed(conn, NOTICE_ESCALATED))


async def find_due(
    db: Database, tasks: TasksClient, reporting: ReportingClient, settings: NotifySettings, *, as_of: datetime
) -> Found:
    """What is due as of `as_of`: the setup is read in a short read, then the peers are asked with no
    transaction open, so a dispatch never holds SQLite's one write lock while waiting on HTTP."""
    async with db.read() as conn:
        setup = await read_setup(conn, business_date(aware(as_of)))
    return await due_from_peers(setup, tasks, reporting, settings, as_of=as_of)


async def due_from_peers(
    setup: Setup, tasks: TasksClient, reporting: ReportingClient, settings: NotifySettings, *, as_of: datetime
) -> Found:
    """The deadlines in a window around `as_of` (Asia/Shanghai days), their steps due and who gets them."""
    with collector_paused():
        return await _due_from_peers(setup, tasks, reporting, settings, as_of=as_of)


async def _due_from_peers(
    setup: Setup, tasks: TasksClient, reporting: ReportingClient, settings: NotifySettings, *, as_of: datetime
) -> Found:
    as_of = aware(as_of)
    today = business_date(as_of)
    if not setup.reach and not setup.escalations_wanted:  # nobody to tell: spare the peers
        return Found(as_of, [], [])
    ahead = max(max(rule.steps_before, default=0) for rule in [DEFAULT_RULE, *setup.book.values()])
    deadlines = await deadlines_between(
        tasks, reporting, today - timedelta(days=OVERDUE_HORIZON_DAYS), today + timedelta(days=ahead), today=today
    )
    due = due_today(deadlines, setup.book, setup.pauses, today)
    contexts = await plan_contexts(tasks, {d.deadline.plan_id for d in due})
    addressed = [a for d in due for a in address(d, contexts[d.deadline.plan_id], setup.reach, settings, today)]
    escalations = [
        escalation(d, contexts[d.deadline.plan_id], settings, today)
        for d in due
        if setup.escalations_wanted and d.step.level is Level.RED
    ]
    return Found(as_of, addressed, escalations)


async def write_due(conn: AsyncConnection, found: Found, *, dispatch_id: int) -> int:
    """Write the notifications and escalation events found, in the caller's transaction; returns how many
    notifications were new (nothing is new when the same step was written before)."""
    with collector_paused():
        created = await write_rows(conn, planned_rows(found.addressed), as_of=found.as_of, dispatch_id=dispatch_id)
    await publish_escalations(conn, found.escalations)
    return created


async def plan_reminders(
    conn: AsyncConnection,
    tasks: TasksClient,
    reporting: ReportingClient,
    settings: NotifySettings,
    *,
    as_of: datetime,
    dispatch_id: int,
) -> int:
    """Find and write what is due on one connection (the caller's transaction spans the peer calls)."""
    setup = await read_setup(conn, business_date(aware(as_of)))
    found = await due_from_peers(setup, tasks, reporting, settings, as_of=as_of)
    return await write_due(conn, found, dispatch_id=dispatch_id)


async def contact_book(conn: AsyncConnection) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Enabled contacts by (owner kind, owner id)."""
    rows = await conn.execute(
        select(contacts.c.id, contacts.c.owner_kind, contacts.c.owner_id, contacts.c.channel)
        .where(contacts.c.enabled.is_(True))
        .order_by(contacts.c.id)
    )
    found: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for row in rows.mappings():
        found[row["owner_kind"], row["owner_id"]].append(dict(row))
    return found


def due_today(
    deadlines: list[Deadline], book: dict[tuple[int, str], Rule], pauses: list[dict[str, Any]], today: date
) -> list[Due]:
    """The deadlines with a step due today, without paused plans, items and units."""
    found = []
    for deadline in deadlines:
        rule = rule_for(book, deadline.plan_id, deadline.kind)
        step = due_step(deadline.due_on, rule, today)
        if step is None:
            continue
        kept = without_paused_items(deadline, pauses)
        if kept is None or is_paused(pauses, kept.plan_id, kept.item_id):
            continue
        units = tuple(u for u in kept.units if not is_paused(pauses, kept.plan_id, kept.item_id, u.unit_id))
        if units:
            found.append(Due(kept, rule, step, units))
    return found


def without_paused_items(deadline: Deadline, pauses: list[dict[str, Any]]) -> Deadline | None:
    """A report deadline without the items (or their unit's share) that are paused; None when none is left."""
    if not deadline.items:
        return deadline
    unit = deadline.units[0].unit_id
    items = tuple(i for i in deadline.items if not is_paused(pauses, deadline.plan_id, i.item_id, unit))
    if not items:
        return None
    if len(items) == len(deadline.items):
        return deadline
    return unit_report_deadline_of(deadline, items)


async def plan_contexts(tasks: TasksClient, plan_ids: set[int]) -> dict[int, PlanContext]:
    async def load(plan_id: int) -> PlanContext:
        plan, items, leaders = await asyncio.gather(
            tasks.plan(plan_id), tasks.plan_items(plan_id), tasks.plan_item_leaders(plan_id)
        )
        by_item: dict[int, list[int]] = defaultdict(list)
        for leader in leaders:
            by_item[leader.item_id].append(leader.leader_id)
        return PlanContext(plan.title, {item.id: item for item in items}, by_item)

    loaded = await asyncio.gather(*(load(plan_id) for plan_id in sorted(plan_ids)))
    return dict(zip(sorted(plan_ids), loaded, strict=True))


def link(settings: NotifySettings, deadline: Deadline) -> str:
    return f"{settings.public_base_url.rstrip('/')}/plans/{deadline.plan_id}/items/{deadline.item_id}"


def lead_leaders(deadline: Deadline, context: PlanContext) -> list[int]:
    """The lead leaders of the deadline's items (a report deadline lists several), each once."""
    return list(dict.fromkeys(leader for item_id in deadline.item_ids for leader in context.leaders.get(item_id, [])))


def recipients(due: Due, context: PlanContext) -> list[tuple[str, int, str | None, tuple[Duty, ...]]]:
    """(kind, id, role, units): each unit about itself; for a red step, the lead leaders and the office too."""
    found: list[tuple[str, int, str | None, tuple[Duty, ...]]] = [
        (OwnerKind.UNIT.value, u.unit_id, u.role, (u,)) for u in due.units
    ]
    if due.step.level is Level.RED:
        found += [(OwnerKind.LEADER.value, leader, None, due.units) for leader in lead_leaders(due.deadline, context)]
        found.append((OwnerKind.OFFICE.value, 0, None, due.units))
    return found


def notice(
    due: Due, context: PlanContext, settings: NotifySettings, today: date, units: tuple[Duty, ...], role: str | None
) -> Notice:
    d = due.deadline
    item = context.items.get(d.item_id)
    return Notice(d, due.step, today, context.title, item.title if item else d.title, link(settings, d), units, role)


def address(
    due: Due,
    context: PlanContext,
    reach: dict[tuple[str, int], list[dict[str, Any]]],
    settings: NotifySettings,
    today: date,
) -> list[Addressed]:
    found = []
    for kind, recipient_id, role, units in recipients(due, context):
        addressed = notice(due, context, settings, today, units, role)
        found += [
            Addressed(addressed, due.rule, kind, recipient_id, contact)
            for contact in reach.get((kind, recipient_id), [])
        ]
    return found


def escalation(due: Due, context: PlanContext, settings: NotifySettings, today: date) -> Escalation:
    """The red step as the office reads it, with the item's lead leaders."""
    return Escalation(
        notice(due, context, settings, today, due.units, None), tuple(lead_leaders(due.deadline, context))
    )


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
        return cls(as_of, dispatch_id, created_at, _message_ids(rows, created_at), {})

    def release_time(self, rule: Rule) -> datetime:
        """When a notice under `rule` may go out: the same for every row with the same quiet hours."""
        hours = (rule.quiet_start, rule.quiet_end)
        if hours not in self.release_times:
            self.release_times[hours] = release_time(self.as_of, *hours)
        return self.release_times[hours]


def _message_ids(count: int, moment: datetime) -> Iterator[str]:
    """Unique `webhook-id`s that sort in the order they are taken, like Svix's KSUID-based ones: the milliseconds,
    a counter, then 48 random bits for planners writing in the same millisecond. Rows are written in key order,
    so the unique index on webhook_id grows at its end instead of splitting pages all over a million-row tree.
    One urandom call serves them all: uuid4() per row made a system call per row, a tenth of a dispatch."""
    prefix = f"msg_{int(moment.timestamp() * 1000):012x}"
    noise = os.urandom(6 * count).hex()
    return (f"{prefix}{n:08x}{noise[12 * n : 12 * n + 12]}" for n in range(count))


def _delivery(a: Addressed, writing: Writing, *, send_at: datetime) -> dict[str, Any]:
    """Who gets the row, on which contact, and its delivery state: pending, due at `send_at`."""
    return {
        "recipient_kind": a.recipient_kind,
        "recipient_id": a.recipient_id,
        "contact_id": a.contact["id"],
        "channel": a.contact["channel"],
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


@dataclass(frozen=True, slots=True)
class Single:
    """A notice to one contact, known by its key; its row (with the rendered message) is built only if new."""

    dedupe_key: str
    addressed: Addressed

    @classmethod
    def of(cls, a: Addressed) -> Single:
        d, step, contact = a.notice.deadline, a.notice.step, a.contact
        return cls(
            f"reminder:{d.ref}:{d.due_on.isoformat()}:{step.name}:{a.recipient_kind}:{a.recipient_id}:"
            f"{contact['id']}:{contact['channel']}",
            a,
        )

    def row(self, writing: Writing) -> dict[str, Any]:
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


DIGEST_MAX_NOTICES = 50  # about 40 KB of webhook body; robots cut their own shorter messages (channels/robots.py)


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
        key = f"digest:{first.contact['id']}:{first.notice.today.isoformat()}"
        chunks = [group[i : i + DIGEST_MAX_NOTICES] for i in range(0, len(group), DIGEST_MAX_NOTICES)]
        return [cls(key if n == 1 else f"{key}:{n}", chunk) for n, chunk in enumerate(chunks, 1)]

    def row(self, writing: Writing) -> dict[str, Any]:
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


def planned_rows(addressed: list[Addressed]) -> list[Planned]:
    """Single notices, and one digest per contact for the notices whose rule asks for digests, in key order:
    the unique index on dedupe_key then grows at its end instead of all over."""
    digests: dict[int, list[Addressed]] = defaultdict(list)
    for a in addressed:
        if a.rule.digest:
            digests[a.contact["id"]].append(a)
    planned: list[Planned] = [Single.of(a) for a in addressed if not a.rule.digest]
    planned += [part for group in digests.values() for part in Digest.parts(group)]
    return sorted(planned, key=attrgetter("dedupe_key"))


async def write_rows(conn: AsyncConnection, planned: list[Planned], *, as_of: datetime, dispatch_id: int) -> int:
    """Insert the rows that are not there yet; returns how many were."""
    if not planned:
        return 0
    if conn.dialect.name == "postgresql":
        return await _copy_new_rows(conn, planned, as_of=as_of, dispatch_id=dispatch_id)
    writing = Writing.of(len(planned), as_of=as_of, dispatch_id=dispatch_id)
    rows = [p.row(writing) for p in planned]
    created = 0
    for start in range(0, len(rows), BATCH_ROWS):
        statement = (
            sqlite_insert(notifications)
            .values(rows[start : start + BATCH_ROWS])
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(notifications.c.id)
        )
        created += len((await conn.execute(statement)).all())
    return created


async def _copy_new_rows(conn: AsyncConnection, planned: list[Planned], *, as_of: datetime, dispatch_id: int) -> int:
    """PostgreSQL: planners write one at a time (a transaction-level advisory lock), so the rows whose keys are
    not in the outbox yet can be COPYed straight in. A day's dispatch of a province is a million rows: 500-row
    INSERTs wrote ~3,000 a second; COPY through a staging table and INSERT … ON CONFLICT from it ~16,000; this
    more than twice that. The rows are built as COPY takes them, so PostgreSQL writes the first rows on the
    other core while the messages of the next ones are still being rendered here."""
    driver = await driver_connection(conn)
    await driver.execute("SELECT pg_advisory_xact_lock($1)", OUTBOX_WRITER_LOCK)
    written = {
        record[0]
        for record in await driver.fetch(
            "SELECT dedupe_key FROM notifications WHERE dedupe_key = ANY($1::text[])", [p.dedupe_key for p in planned]
        )
    }
    new = [p for p in planned if p.dedupe_key not in written]
    writing = Writing.of(len(new), as_of=as_of, dispatch_id=dispatch_id)
    await copy_rows(conn, notifications, (p.row(writing) for p in new), OUTBOX_COLUMNS)
    return len(new)
