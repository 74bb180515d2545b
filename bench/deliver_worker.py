"""One dispatcher process for the delivery benchmark: delivers due notifications until none is left or time is up.

    NOTIFY_API_DATABASE_URL=… python -m bench.deliver_worker 30

It is services/notify_api/deliveries/jobs.deliver_all_due (batches pipelined: one written while the next is sent)
with a time limit, so that a benchmark of a very large outbox ends; two of these run side by side as two dispatcher
replicas would.
"""

from __future__ import annotations

import sys
import time

from services.common import loops
from services.common.db import Database, make_engine
from services.notify_api.deliveries.clock import now_utc
from services.notify_api.deliveries.jobs import deliver_all_due
from services.notify_api.dispatches.service import TARGET_SOURCES
from services.notify_api.settings import NotifySettings


async def deliver_for(seconds: float) -> float:
    """Deliver until nothing is due or `seconds` are up; returns the seconds spent delivering (start-up and
    connecting excluded, so that the rate is the deliverer's, not Python's import time)."""
    settings = NotifySettings()
    database = Database(make_engine(settings.resolved_database_url(), pool_size=settings.database_pool_size))
    await database.ping()
    started = time.monotonic()
    try:
        await deliver_all_due(database, settings, sources=TARGET_SOURCES, now=now_utc(), until=started + seconds)
        return time.monotonic() - started
    finally:
        await database.dispose()


if __name__ == "__main__":
    print(loops.run(deliver_for(float(sys.argv[1]))))
