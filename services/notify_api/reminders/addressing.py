"""What is due today and who gets it, as pure functions of the deadlines read from the peers and the setup read
from notify_api's own tables: no I/O here. For every deadline the plan's rule says which step is due today
(steps.py); each responsible unit's enabled contacts get it, and a red step also goes to the item's lead leaders
and the office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from services.notify_api.contacts.models import OwnerKind
from services.notify_api.deliveries.models import Level
from services.notify_api.reminders.deadlines import Deadline, Duty, unit_report_deadline_of
from services.notify_api.reminders.escalations import Escalation
from services.notify_api.reminders.steps import Step, due_step
from services.notify_api.reminders.templates import Notice
from services.notify_api.rules.rule import PauseIndex, PauseScope, Rule
from services.notify_api.rules.service import rule_for


@dataclass(frozen=True, slots=True)
class Reach:
    """An enabled contact of a recipient: where its notices go."""

    id: int
    channel: str


ContactBook = dict[tuple[str, int], list[Reach]]  # (owner kind, owner id) → its enabled contacts
Pauses = list[PauseScope]  # the active pauses (rules.service.active_pauses)
UNIT, LEADER, OFFICE = OwnerKind.UNIT.value, OwnerKind.LEADER.value, OwnerKind.OFFICE.value


class Due(NamedTuple):
    """A deadline whose rule has a step due today."""

    deadline: Deadline
    rule: Rule
    step: Step
    units: tuple[Duty, ...]  # its units that are not paused


class Addressed(NamedTuple):
    """A notice for one contact of one recipient."""

    notice: Notice
    rule: Rule
    recipient_kind: str
    recipient_id: int
    contact: Reach


@dataclass(frozen=True, slots=True)
class PlanContext:
    title: str
    leaders: dict[int, list[int]]  # item id → its lead leaders (分管市领导)


def due_today(deadlines: list[Deadline], book: dict[tuple[int, str], Rule], pauses: Pauses, today: date) -> list[Due]:
    """The deadlines with a step due today, without paused plans, items and units."""
    paused, found = PauseIndex.of(pauses), []
    for deadline in deadlines:
        rule = rule_for(book, deadline.plan_id, deadline.kind)
        step = due_step(deadline.due_on, rule, today)
        if step is None:
            continue
        kept = without_paused_items(deadline, paused)
        if kept is None or paused.covers(kept.plan_id, kept.item_id):
            continue
        units = tuple(u for u in kept.units if not paused.covers(kept.plan_id, kept.item_id, u.unit_id))
        if units:
            found.append(Due(kept, rule, step, units))
    return found


def without_paused_items(deadline: Deadline, paused: PauseIndex) -> Deadline | None:
    """A report deadline without the items (or their unit's share) that are paused; None when none is left."""
    if not deadline.items or not paused.keys:
        return deadline
    unit = deadline.units[0].unit_id
    items = tuple(i for i in deadline.items if not paused.covers(deadline.plan_id, i.item_id, unit))
    if not items:
        return None
    if len(items) == len(deadline.items):
        return deadline
    return unit_report_deadline_of(deadline, items)


def link(base_url: str, deadline: Deadline) -> str:
    return f"{base_url.rstrip('/')}/plans/{deadline.plan_id}/items/{deadline.item_id}"


def lead_leaders(deadline: Deadline, context: PlanContext) -> list[int]:
    """The lead leaders of the deadline's items (a report deadline lists several), each once."""
    leaders, found = context.leaders, dict[int, None]()
    for item_id in deadline.item_ids:
        for leader in leaders.get(item_id, ()):
            found[leader] = None
    return list(found)


def recipients(due: Due, context: PlanContext) -> list[tuple[str, int, str | None, tuple[Duty, ...]]]:
    """(kind, id, role, units): each unit about itself; for a red step, the lead leaders and the office too."""
    found: list[tuple[str, int, str | None, tuple[Duty, ...]]] = [(UNIT, u.unit_id, u.role, (u,)) for u in due.units]
    if due.step.level is Level.RED:
        found += [(LEADER, leader, None, due.units) for leader in lead_leaders(due.deadline, context)]
        found.append((OFFICE, 0, None, due.units))
    return found


def notice(
    due: Due, context: PlanContext, base_url: str, today: date, units: tuple[Duty, ...], role: str | None
) -> Notice:
    d = due.deadline
    title = d.item_title
    return Notice(d, due.step, today, context.title, title, link(base_url, d), units, role)


def address(due: Due, context: PlanContext, reach: ContactBook, base_url: str, today: date) -> list[Addressed]:
    """The notice of a due step for every contact of every recipient (nobody with no contact)."""
    found = []
    for kind, recipient_id, role, units in recipients(due, context):
        contacts = reach.get((kind, recipient_id))
        if not contacts:
            continue
        addressed = notice(due, context, base_url, today, units, role)
        found += [Addressed(addressed, due.rule, kind, recipient_id, contact) for contact in contacts]
    return found


def escalation(due: Due, context: PlanContext, base_url: str, today: date) -> Escalation:
    """The red step as the office reads it, with the item's lead leaders."""
    return Escalation(
        notice(due, context, base_url, today, due.units, None), tuple(lead_leaders(due.deadline, context)), base_url
    )
