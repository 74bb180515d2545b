"""What is due as of a moment, for a dispatch to write to the outbox exactly once; what a unit has coming (upcoming
deadlines); and the office's overdue bulletin (逾期通报).

A dispatch first finds what is due (its own tables in a short read, then the peers over HTTP with no connection
held), and only then writes, in the caller's transaction: rows are inserted only for keys not in the outbox yet, so
a second run, or a concurrent one, adds nothing. A red step also publishes notice.escalated (escalations.py) in the
same transaction."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import chain
from operator import itemgetter
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
    due_today,
)
from services.notify_api.reminders.deadlines import deadlines_between, each_source
from services.notify_api.reminders.escalations import NOTICE_ESCALATED, Escalation, publish_escalations
from services.notify_api.reminders.planning import Phases, PlanContexts, Planner, Setup
from services.notify_api.reminders.rows import DigestedStep, planned_rows
from services.notify_api.reminders.schemas import BulletinView, LeaderRefRow, UpcomingView
from services.notify_api.reminders.steps import aware
from services.notify_api.reminders.views import bulletin_rows, row_key, upcoming_row
from services.notify_api.rules.rule import DEFAULT_RULE
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
    """The deadlines in a window around `as_of` (Asia/Shanghai days), their steps due and who gets them: each
    source's deadlines planned and addressed as soon as they are read (each_source), in deadline order."""
    today = business_date(as_of)
    if not setup.reach and not setup.escalations_wanted:  # nobody to tell: spare the peers
        return Found(as_of, [], [])
    ahead = max(max(rule.steps_before, default=0) for rule in [DEFAULT_RULE, *setup.book.values()])
    start, end = today - timedelta(days=OVERDUE_HORIZON_DAYS), today + timedelta(days=ahead)
    planner = Planner(setup, PlanContexts(tasks), settings.public_base_url, today)
    started = time.perf_counter()
    try:
        batches = await each_source(tasks, reporting, start, end, today=today, take=planner.take)
    finally:
        planner.contexts.drop()
    phases = planner.phases
    phases.read_peers = time.perf_counter() - started - phases.plan - phases.address  # what the peers held it
    ordered = sorted(chain.from_iterable(batches), key=itemgetter(0))  # stable: as one sorted list was planned
    addressed = [a for _, found, _ in ordered for a in found]
    return Found(as_of, addressed, [e for _, _, e in ordered if e is not None], phases)


async def write_due(conn: AsyncConnection, found: Found, *, dispatch_id: int) -> int:
    """Write the notifications and escalation events found, in the caller's transaction; returns how many
    notifications were new (nothing is new when the same step was written before)."""
    with found.phases.timing("write"):
        planned = planned_rows(found.addressed, await _digested(conn, found))
        created = await repository.write_rows(conn, planned, as_of=found.as_of, dispatch_id=dispatch_id)
        await publish_escalations(conn, found.escalations)
    REMINDERS_PLANNED.inc(created)  # counted before the commit: a run whose commit fails has failed as a whole
    return created


async def _digested(conn: AsyncConnection, found: Found) -> set[DigestedStep]:
    """The steps earlier digests listed, of the contacts this dispatch composes digests for (none: no read), back to
    the oldest day a deadline it plans can be overdue from."""
    contact_ids = {a.contact.id for a in found.addressed if a.rule.digest}
    if not contact_ids:
        return set()
    today = business_date(found.as_of)
    since = today - timedelta(days=OVERDUE_HORIZON_DAYS)
    return await repository.digested_steps(conn, contact_ids, since=since, before=today)


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
