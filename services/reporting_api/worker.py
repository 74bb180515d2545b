"""reporting_api's worker: `python -m services.reporting_api.worker` runs the service's batch work (the outbox
relay, every 2 s while REPORTING_API_NOTIFY_API_URL is set); the API processes run none."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from services.common.jobs import Worker
from services.common.outbox import relaying_worker
from services.common.worker_host import main
from services.reporting_api.db import job_queue, outbox_events
from services.reporting_api.settings import ReportingSettings


def worker(settings: ReportingSettings | None = None) -> AbstractAsyncContextManager[Worker]:
    """The service's worker, opened with its database and peers; tests call `run_once()` on it."""
    return relaying_worker(settings or ReportingSettings.load(), job_queue, outbox_events)


if __name__ == "__main__":
    main(worker())
