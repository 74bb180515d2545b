"""Dispatches outside a request: once from the command line (cron), or on an interval inside the app."""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import UTC, datetime
from functools import partial
from types import SimpleNamespace
from typing import Any

from fastapi import FastAPI

from services.common.background import BackgroundLoop
from services.common.db import Database, make_engine
from services.common.peers import tasks_client_hooks
from services.common.problems import Conflict
from services.notify_api.deliveries.clock import now_utc
from services.notify_api.deliveries.deliverer import deliver_all_due
from services.notify_api.dispatches.repository import DispatchRow
from services.notify_api.dispatches.service import run_dispatch
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
    """One dispatch against the configured database and peers, as `duban dispatch` runs it."""
    holder = SimpleNamespace(state=SimpleNamespace(settings=settings))  # what the peer hooks expect of an app
    database = Database(make_engine(settings.resolved_database_url(), pool_size=settings.database_pool_size))
    hooks = peer_hooks()
    try:
        for open_peer, _ in hooks:
            await open_peer(holder)
        return await run_dispatch(
            database, settings, tasks=holder.state.tasks, reporting=holder.state.reporting, as_of=as_of, actor=actor
        )
    finally:
        for _, close_peer in reversed(hooks):
            with suppress(AttributeError):  # a peer that never opened has nothing to close
                await close_peer(holder)
        await database.dispose()


def tick(now: datetime, interval: int) -> datetime:
    """The start of the interval `now` falls in: replicas running the loop share one as_of per interval,
    so the unique as_of lets only one of them plan it."""
    seconds = int(now.timestamp()) // interval * interval
    return datetime.fromtimestamp(seconds, UTC)


async def dispatch_round(app: FastAPI) -> float:
    """One round of the in-process loop: plan and deliver; errors are logged and the loop goes on.
    Returns the seconds left until the next interval starts."""
    state = app.state
    interval: int = state.settings.dispatch_interval_seconds
    as_of = tick(now_utc(), interval)
    try:
        _, ran = await run_dispatch(
            state.database, state.settings, tasks=state.tasks, reporting=state.reporting, as_of=as_of, actor=LOOP_ACTOR
        )
        if not ran:  # another replica planned this interval; still help deliver what is due
            await deliver_all_due(state.database, state.settings, now=now_utc())
    except Conflict as busy:  # SQLite: a dispatch from the command line or the API is running
        logger.info("the interval dispatch as of %s is skipped: %s", as_of, busy.detail)
    except Exception:
        logger.exception("the interval dispatch as of %s failed; trying again next interval", as_of)
    return as_of.timestamp() + interval - now_utc().timestamp()


async def start_dispatch_loop(app: FastAPI) -> None:
    """Start-up hook: the in-process loop, when NOTIFY_API_DISPATCH_INTERVAL_SECONDS > 0."""
    if app.state.settings.dispatch_interval_seconds > 0:
        app.state.dispatch_loop = BackgroundLoop(
            "notify-dispatch-loop",
            partial(dispatch_round, app),
            grace=app.state.settings.dispatch_shutdown_grace_seconds,
        )


async def stop_dispatch_loop(app: FastAPI) -> None:
    """Shut-down hook: let the loop's round finish, then stop it."""
    loop: BackgroundLoop | None = getattr(app.state, "dispatch_loop", None)
    if loop is not None:
        await loop.stop()
