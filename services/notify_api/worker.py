"""notify_api's worker: `python -m services.notify_api.worker` runs the service's batch work: a reminder dispatch per
NOTIFY_API_DISPATCH_INTERVAL_SECONDS (when above 0) and the delivery of due notifications every few seconds. The API
processes run none."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

import httpx

from services.common.jobs import Worker
from services.common.peers import tasks_client_hooks
from services.common.worker_host import main, open_worker
from services.notify_api.db import job_queue
from services.notify_api.dispatches.jobs import notify_kinds
from services.notify_api.peers import reporting_client_hooks
from services.notify_api.settings import NotifySettings


def worker(
    settings: NotifySettings | None = None,
    tasks_transport: httpx.AsyncBaseTransport | None = None,
    reporting_transport: httpx.AsyncBaseTransport | None = None,
) -> AbstractAsyncContextManager[Worker]:
    """The worker with the peers a dispatch reads; the transports let tests put faults between it and them."""
    hooks = [tasks_client_hooks(tasks_transport), reporting_client_hooks(reporting_transport)]
    return open_worker(settings or NotifySettings.load(), job_queue, notify_kinds, hooks=hooks)


if __name__ == "__main__":
    main(worker(), service="notify_api.worker")
