"""Dispatches outside a request: once from the command line (cron), or once per interval as a periodic job of
notify_api's worker (services/notify_api/worker.py), which also delivers what falls due between dispatches."""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import UTC, datetime
from functools import partial
from types import SimpleNamespace
from typing import Any

from services.common.db import Database, make_engine
from services.common.jobs import Job, Kind
from services.common.peers import tasks_client_hooks
from services.common.problems import Conflict
from services.notify_api.deliveries.clock import now_utc
from services.notify_api.deliveries.jobs import deliver_all_due
from services.notify_api.dispatches import queue
from services.notify_api.dispatches.queue import Dispatcher, run_kind
from services.notify_api.dispatches.repository import DispatchRow
from services.notify_api.dispatches.service import TARGET_SOURCES, run_dispatch
from services.notify_api.peers import reporting_client_hooks
from services.notify_api.settings import NotifySettings

logger = logging.getLogger("duban.dispatches")

LOOP_ACTOR = "notify_api-interval"


def peer_hooks() -> list[tuple[Any, Any]]:
    """The (open, close) hooks of the peers a dispatch reads, as the app opens them."""
    return [tasks_client_hooks(), reporting_client_hooks()]


async def dispatch_once(
    settings: NotifySettings, *, as_of: datetime | None, actor: str = "duban-cli"
) -> tuple[DispatchRow, bool]:
    """One dispatch against the configured database and peers, as `duban dispatch` runs it: a job for the worker,
    run here when no worker claims it within the grace period."""
    holder = SimpleNamespace(state=SimpleNamespace(settings=settings))  # what the peer hooks expect of an app
    database = Database(make_engine(settings.resolved_database_url(), pool_size=settings.database_pool_size))
    hooks = peer_hooks()
    try:
        for open_peer, _ in hooks:
            await open_peer(holder)
        dispatcher = Dispatcher(database, settings, holder.state.tasks, holder.state.reporting)
        return await queue.dispatch(dispatcher, as_of=as_of or now_utc(), actor=actor)
    finally:
        for _, close_peer in reversed(hooks):
            with suppress(AttributeError):  # a peer that never opened has nothing to close
                await close_peer(holder)
        await database.dispose()


def tick(now: datetime, interval: int) -> datetime:
    """The start of the interval `now` falls in."""
    seconds = int(now.timestamp()) // interval * interval
    return datetime.fromtimestamp(seconds, UTC)


DISPATCH, DELIVER = "deliveries.dispatch", "deliveries.deliver"
DELIVER_EVERY_SECONDS = 5.0  # retries and notifications planned elsewhere go out within this long


def notify_kinds(state: Any) -> list[Kind]:
    """notify_api's jobs: the dispatches asked for (POST /v1/dispatches, `duban dispatch`); periodic, a dispatch
    per interval (when NOTIFY_API_DISPATCH_INTERVAL_SECONDS > 0) and delivery of whatever is due between them."""
    settings: NotifySettings = state.settings
    dispatcher = Dispatcher(state.database, settings, state.tasks, state.reporting)
    kinds = [run_kind(dispatcher), Kind(DELIVER, partial(deliver_job, state), every=DELIVER_EVERY_SECONDS)]
    if settings.dispatch_interval_seconds > 0:
        kinds.append(Kind(DISPATCH, partial(dispatch_job, state), every=settings.dispatch_interval_seconds, batch=True))
    return kinds


async def deliver_job(state: Any, job: Job) -> dict[str, int]:
    counts = await deliver_all_due(state.database, state.settings, sources=TARGET_SOURCES, now=now_utc())
    return {"sent": counts.sent, "failed": counts.failed}


async def dispatch_job(state: Any, job: Job) -> dict[str, str]:
    """One interval's dispatch: plan and deliver. Its as_of is the start of the interval it is due in, so that
    workers share one as_of per interval and the unique as_of lets only one of them plan it."""
    as_of = tick(job.run_after, state.settings.dispatch_interval_seconds)
    try:
        _, ran = await run_dispatch(
            state.database, state.settings, tasks=state.tasks, reporting=state.reporting, as_of=as_of, actor=LOOP_ACTOR
        )
    except Conflict as busy:  # SQLite: a dispatch from the command line or the API is running
        logger.info("the interval dispatch as of %s is skipped: %s", as_of, busy.detail)
        return {"as_of": as_of.isoformat(), "outcome": "skipped"}
    if not ran:  # another worker planned this interval; still help deliver what is due
        await deliver_all_due(state.database, state.settings, sources=TARGET_SOURCES, now=now_utc())
    return {"as_of": as_of.isoformat(), "outcome": "planned" if ran else "planned elsewhere"}
