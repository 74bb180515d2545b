"""A dispatch run: plan what is due as of a moment into the outbox (the reminders room), then deliver everything due
(the deliveries room). The body of a scheduled job as much as of POST /v1/dispatches: it takes its database, settings
and typed peers, and no request.

The peers are read first, with no transaction or connection open; then one short transaction writes the run, its
notifications and escalation events together or not at all. The unique as_of makes a second call with the same
moment (or a concurrent one) return the first run's record without planning again, and the outbox's unique keys make
a run that overlaps another's moments add nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import MappingProxyType

from sqlalchemy.exc import IntegrityError

from services.common.contracts.reporting import ReportingClient
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.notify_api.contacts.service import ContactTargets
from services.notify_api.deliveries.clock import now_utc, utc
from services.notify_api.deliveries.jobs import deliver_all_due
from services.notify_api.deliveries.meters import DISPATCH_DURATION, DISPATCH_ROUNDS
from services.notify_api.deliveries.targets import TargetSources
from services.notify_api.dispatches import repository
from services.notify_api.dispatches.repository import DispatchRow
from services.notify_api.events.subscriptions import SubscriptionTargets
from services.notify_api.reminders.service import Found, find_due, write_due
from services.notify_api.settings import NotifySettings

DISPATCHER_BUSY = (
    "Another dispatcher is running on this SQLite database, which allows one at a time; "
    "nothing was planned. Try again when it has finished."
)
# Where the deliverer reads a notification's target (and disables it on 410 Gone): the contacts of the recipients
# reminders are planned for, and the subscriptions events are fanned out to.
TARGET_SOURCES: TargetSources = MappingProxyType({"contact": ContactTargets(), "subscription": SubscriptionTargets()})


async def run_dispatch(
    db: Database,
    settings: NotifySettings,
    *,
    tasks: TasksClient,
    reporting: ReportingClient,
    as_of: datetime | None,
    actor: str,
) -> tuple[DispatchRow, bool]:
    """Plan what is due as of `as_of` (default: now) into the outbox, then deliver everything due.

    Returns the run and whether this call ran it (False: a run with this as_of exists, and this is its record)."""
    as_of = utc(as_of) if as_of else now_utc()
    if existing := await _run_at(db, as_of):
        DISPATCH_ROUNDS.labels("repeat").inc()
        return existing, False
    with sole_dispatcher(db), DISPATCH_DURATION.time():
        found = await find_due(db, tasks, reporting, settings, as_of=as_of)
        dispatch_id = await _record(db, found, actor=actor)
        if dispatch_id is None:  # a concurrent call with the same as_of won the race
            if existing := await _run_at(db, as_of):
                return existing, False
            raise RuntimeError(f"the dispatch as of {as_of.isoformat()} collided but cannot be read")
        DISPATCH_ROUNDS.labels("ran").inc()
        return await _deliver(db, settings, dispatch_id, as_of=as_of), True


@contextmanager
def sole_dispatcher(db: Database) -> Iterator[None]:
    """One dispatcher at a time where the database asks it (SQLite; PostgreSQL's planners share the work through
    SKIP LOCKED claims); 409 while another dispatcher is at work."""
    with db.dialect.one_at_a_time(db.engine.url, "dispatcher", busy=DISPATCHER_BUSY):
        yield


async def _record(db: Database, found: Found, *, actor: str) -> int | None:
    """One transaction: the run, its notifications and escalation events; None when its as_of is taken."""
    try:
        async with db.transaction() as conn:
            dispatch_id = await repository.open_run(conn, as_of=found.as_of, started_at=now_utc(), actor=actor)
            created = await write_due(conn, found, dispatch_id=dispatch_id)
            await repository.count_created(conn, dispatch_id, created)
    except IntegrityError:
        if await _run_at(db, found.as_of) is None:
            raise
        return None
    return dispatch_id


async def _deliver(db: Database, settings: NotifySettings, dispatch_id: int, *, as_of: datetime) -> DispatchRow:
    """Send what is due by the clock, and by as_of when a dispatch is run ahead of time; count it on the run."""
    counts = await deliver_all_due(db, settings, sources=TARGET_SOURCES, now=max(now_utc(), as_of))
    async with db.transaction() as conn:
        return await repository.close_run(
            conn, dispatch_id, sent=counts.sent, failed=counts.failed, finished_at=now_utc()
        )


async def _run_at(db: Database, as_of: datetime) -> DispatchRow | None:
    async with db.read() as conn:
        return await repository.run_at(conn, as_of)


async def get_dispatch(db: Database, *, dispatch_id: int) -> DispatchRow:
    async with db.read() as conn:
        return await repository.get_run(conn, dispatch_id)
