"""reporting_api's worker: `python -m services.reporting_api.worker` runs the service's batch work: the ledger
exports requests ask for, the sweep of chunks an export left behind, and the outbox relay (every 2 s while
REPORTING_API_NOTIFY_API_URL is set); the API processes run none unless no worker claims a request's job."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import Any

import httpx

from services.common.export_chunks import SWEEP_EVERY_SECONDS, sweep
from services.common.jobs import Job, Kind, Worker
from services.common.outbox import relaying_worker
from services.common.peers import tasks_client_hooks
from services.common.worker_host import main
from services.reporting_api.db import export_chunks, job_queue, outbox_events
from services.reporting_api.ledger.export import Exporter, export_kind
from services.reporting_api.settings import ReportingSettings

SWEEP = "ledger.sweep"


async def sweep_job(state: Any, job: Job) -> dict[str, int]:
    return {"deleted": await sweep(state.database, export_chunks)}


def reporting_kinds(state: Any) -> list[Kind]:
    return [
        export_kind(Exporter(state.database, state.tasks)),
        Kind(SWEEP, partial(sweep_job, state), every=SWEEP_EVERY_SECONDS),
    ]


def worker(
    settings: ReportingSettings | None = None, tasks_transport: httpx.AsyncBaseTransport | None = None
) -> AbstractAsyncContextManager[Worker]:
    """The service's worker, opened with its database and peers; tests call `run_once()` on it."""
    settings = settings or ReportingSettings.load()
    hooks = [tasks_client_hooks(tasks_transport)]
    return relaying_worker(settings, job_queue, outbox_events, more=reporting_kinds, hooks=hooks)


if __name__ == "__main__":
    main(worker(), service="reporting_api.worker")
