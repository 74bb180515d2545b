"""The process around a service's Worker (`python -m services.<svc>.worker`): its database, its peer clients and
the kinds of job it runs, opened and closed as an app's lifespan opens them, and stopped by SIGTERM or SIGINT
after the job in progress."""

from __future__ import annotations

import asyncio
import logging
import logging.config
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Table

from services.common import loops
from services.common.collector import freeze_start_up_heap
from services.common.db import Database, make_engine
from services.common.jobs import Kind, Worker
from services.common.logs import log_config
from services.common.metrics import serve_worker_metrics
from services.common.settings import ServiceSettings

logger = logging.getLogger("duban.worker")

# The same hooks an app's lifespan runs: each takes the holder and sets or closes something on `holder.state`.
Hook = Callable[[Any], Awaitable[None]]
KindsOf = Callable[[SimpleNamespace], Sequence[Kind]]


@asynccontextmanager
async def open_worker(
    settings: ServiceSettings, table: Table, kinds: KindsOf, hooks: Sequence[tuple[Hook, Hook]] = ()
) -> AsyncIterator[Worker]:
    """A Worker over the service's database, with `state` (settings, database, what the hooks open) for its kinds."""
    database = Database(make_engine(settings.resolved_database_url(), pool_size=settings.database_pool_size))
    holder = SimpleNamespace(state=SimpleNamespace(settings=settings, database=database))
    if settings.worker_metrics_address:
        serve_worker_metrics(settings.worker_metrics_address)
    opened: list[Hook] = []
    try:
        for open_hook, close_hook in hooks:
            await open_hook(holder)
            opened.append(close_hook)
        worker = Worker(database, table, kinds(holder.state), owns_process=True)
        worker.lease_seconds = settings.job_lease_seconds
        yield worker
    finally:
        for close_hook in reversed(opened):
            await close_hook(holder)
        await database.dispose()


async def serve(worker: AbstractAsyncContextManager[Worker]) -> None:
    """Run the worker until SIGTERM or SIGINT, then let the job in progress finish."""
    async with worker as running:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with suppress(NotImplementedError):  # not on every platform
                loop.add_signal_handler(signum, running.stop)
        logger.info("worker started: %s", ", ".join(running.kinds) or "no kinds of job")
        await running.run()


def main(worker: AbstractAsyncContextManager[Worker], *, service: str) -> None:
    """The entry point of `python -m services.<svc>.worker`; it logs JSON lines as `service`."""
    logging.config.dictConfig(log_config(service))
    freeze_start_up_heap()
    loops.run(serve(worker))
