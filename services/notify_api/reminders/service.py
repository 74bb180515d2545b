"""What is due as of a moment, for a dispatch to write to the outbox exactly once; what a unit has coming (upcoming
deadlines); and the office's overdue bulletin (逾期通报).

A dispatch first finds what is due (its own tables in a short read, then the peers over HTTP with no connection
held), and only then writes, in the caller's transaction: rows are inserted only for keys not in the outbox yet, so
a second run, or a concurrent one, adds nothing. A red step also publishes notice.escalated (escalations.py) in the
same transaction."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal
from services.common.clock import business_date
from services.common.contracts.reporting import ReportingClient
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.common.pagination import rows_after
from services.common.workdays import workdays_between
from services.notify_api.deliveries.meters import REMINDERS_PLANNED
from services.notify_api.deliveries.models import Level
from services.notify_api.events.service import is_subscribed
from services.notify_api.reminders import repository
from services.notify_api.reminders.addressing import (
    Addressed,
    ContactBook,
    Pauses,
    PlanContext,
    address,
    due_today,
    escalation,
)
from services.notify_api.reminders.deadlines import deadlines_between
from services.notify_api.reminders.escalations import NOTICE_ESCALATED, Escalation, publish_escalations
from services.notify_api.reminders.rows import planned_rows
from services.notify_api.reminders.schemas import BulletinView, LeaderRefRow, UpcomingView
from services.notify_api.reminders.steps import aware
from services.notify_api.reminders.views import bulletin_rows, row_key, upcoming_row
from services.notify_api.rules.rule import DEFAULT_RULE, Rule
from services.notify_api.rules.service import active_pauses, rule_book
from services.notify_api.settings import NotifySettings

# Overdue notices stop this long after the due date: by then the deadline is the office's business, not a
# robot's (and tasks_api serves a window of at most 400 days: this plus the longest rule step fits).
OVERDUE_HORIZON_DAYS = 180

BULLETIN_RULE = f"""\
The items whose notice on that date is red (红色督办单): a deadline unmet for `escalate_after_days` working days or
more (the plan's rule for its kind; default 5) — an unfinished item, an open milestone, an indicator target date, or a
report a unit has not submitted — and at most {OVERDUE_HORIZON_DAYS} days overdue. Computed with the dispatch's
rules and pauses, so it lists the same items the red notices went out for, whether or not anyone has a contact."""


# -- a dispatch's plan ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Setup:
    """What a dispatch reads from notify_api's own database before it asks the peers anything."""

    reach: ContactBook
    book: dict[tuple[int, str], Rule]
    pauses: Pauses
    escalations_wanted: bool  # an enabled subscription takes notice.escalated


@dataclass(slots=True)
class Phases:
    """Seconds a dispatch spent in each phase: the benchmark reports them (bench/dispatch.py), to show where a
    dispatch's time goes; delivery is timed by the deliverer's own figure."""

    read_peers: float = 0.0
    plan: float = 0.0
    address: float = 0.0
    write: float = 0.0

    @contextmanager
    def timing(self, phase: str) -> Iterator[None]:
        """Add the block's duration (a monotonic interval, not the wall clock) to `phase`."""
        started = time.perf_counter()
        try:
            yield
        finally:
            setattr(self, phase, getattr(self, phase) + time.perf_counter() - started)


@dataclass(frozen=True, slots=True)
class Found:
    """What is due as of a moment, computed but not yet written, and how long finding it took."""

    as_of: datetime
    addressed: list[Addressed]
    escalations: list[Escalation]
    phases: Phases = field(default_factory=Phases)


async def read_setup(conn: AsyncConnection, today: date) -> Setup:
    reach = await repository.contact_book(conn)
    book, pauses = await rule_book(conn), await active_pauses(conn, today)
    return Setup(reach, book, pauses, await is_subscribed(conn, NOTICE_ESCALATED))


async def find_due(
    db: Database, tasks: TasksClient, reporting: ReportingClient, settings: NotifySettings, *, as_of: datetime
) -> Found:
    """What is due as of `as_of`: the setup is read in a short read, then the peers are asked with no
    connection held, so a dispatch never holds SQLite's one write lock (nor a pool slot) while waiting on HTTP."""
    as_of = aware(as_of)
    async with db.read() as conn:
        setup = await read_setup(conn, business_date(as_of))
    return await due_from_peers(setup, tasks, reporting, settings, as_of=as_of)


async def due_from_peers(
    setup: Setup, tasks: TasksClient, reporting: ReportingClient, settings: NotifySettings, *, as_of: datetime
) -> Found:
    """The deadlines in a window around `as_of` (Asia/Shanghai days), their steps due and who gets them."""
    today = business_date(as_of)
    if not setup.reach and not setup.escalations_wanted:  # nobody to tell: spare the peers
        return Found(as_of, [], [])
    ahead = max(max(rule.steps_before, default=0) for rule in [DEFAULT_RULE, *setup.book.values()])
    start, end = today - timedelta(days=OVERDUE_HORIZON_DAYS), today + timedelta(days=ahead)
    phases = Phases()
    with phases.timing("read_peers"):
        deadlines = await deadlines_between(tasks, reporting, start, end, today=today)
    with phases.timing("plan"):
        due = due_today(deadlines, setup.book, setup.pauses, today)
    with phases.timing("read_peers"):
        contexts = await plan_contexts(tasks, {d.deadline.plan_id for d in due})
    base = settings.public_base_url
    with phases.timing("address"):
        addressed = [a for d in due for a in address(d, contexts[d.deadline.plan_id], setup.reach, base, today)]
        escalations = [
            escalation(d, contexts[d.deadline.plan_id], base, today)
            for d in due
            if setup.escalations_wanted and d.step.level is Level.RED
        ]
    return Found(as_of, addressed, escalations, phases)


async def plan_contexts(tasks: TasksClient, plan_ids: set[int]) -> dict[int, PlanContext]:
    async def load(plan_id: int) -> PlanContext:
        # The deadlines carry their items' titles: only the plan's title and its lead leaders are read here.
        plan, leaders = await asyncio.gather(tasks.plan(plan_id), tasks.plan_item_leader_rows(plan_id))
        by_item: dict[int, list[int]] = defaultdict(list)
        for leader in leaders:
            by_item[leader["item_id"]].append(leader["leader_id"])
        return PlanContext(plan.title, by_item)

    loaded = await asyncio.gather(*(load(plan_id) for plan_id in sorted(plan_ids)))
    return dict(zip(sorted(plan_ids), loaded, strict=True))


async def write_due(conn: AsyncConnection, found: Found, *, dispatch_id: int) -> int:
    """Write the notifications and escalation events found, in the caller's transaction; returns how many
    notifications were new (nothing is new when the same step was written before)."""
    with found.phases.timing("write"):
        planned = planned_rows(found.addressed)
        created = await repository.write_rows(conn, planned, as_of=found.as_of, dispatch_id=dispatch_id)
        await publish_escalations(conn, found.escalations)
    REMINDERS_PLANNED.inc(created)  # counted before the commit: a run whose commit fails has failed as a whole
    return created


# -- upcoming deadlines and the bulletin ------------------------------------------------------------------


async def upcoming(
    tasks: TasksClient,
    reporting: ReportingClient,
    *,
    principal: Principal,
    unit_id: int | None,
    plan_id: int | None,
    days: int,
    today: date,
    after: tuple[Any, ...] | None,
    limit: int,
    item_number: str | None = None,
) -> UpcomingView:
    """Deadlines from today through `days` days on, with days left in calendar and in working days; with
    `item_number`, those about an item so numbered."""
    unit_id = principal.scoped_unit(unit_id)
    end = today + timedelta(days=days)
    deadlines = await deadlines_between(tasks, reporting, today, end, today=today, unit_id=unit_id, plan_id=plan_id)
    rows = [upcoming_row(d, today) for d in deadlines if item_number is None or d.numbered(item_number)]
    return {
        "as_of": today,
        "until": end,
        "unit_id": unit_id,
        "official_calendar": workdays_between(today, end)[1],
        "rows": rows_after(rows, None if after is None else tuple(after), limit, row_key),
    }


async def bulletin(
    db: Database, tasks: TasksClient, reporting: ReportingClient, *, plan_id: int, day: date
) -> BulletinView:
    """Every item of the plan with a red notice as of `day`, most overdue first."""
    plan = await tasks.plan(plan_id)  # 404 for an unknown plan
    async with db.read() as conn:
        book, pauses = await rule_book(conn), await active_pauses(conn, day)
    deadlines = await deadlines_between(
        tasks,
        reporting,
        day - timedelta(days=OVERDUE_HORIZON_DAYS),
        day - timedelta(days=1),
        today=day,
        plan_id=plan_id,
    )
    red = [due for due in due_today(deadlines, book, pauses, day) if due.step.level is Level.RED]
    leaders: dict[int, list[LeaderRefRow]] = defaultdict(list)
    for leader in await tasks.plan_item_leaders(plan_id) if red else []:
        leaders[leader.item_id].append({"id": leader.leader_id, "name": leader.name})
    rows = bulletin_rows(red, leaders, day)
    return {"plan_id": plan_id, "plan_title": plan.title, "date": day, "count": len(rows), "items": rows}
