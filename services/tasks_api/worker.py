"""tasks_api's worker: `python -m services.tasks_api.worker` runs the service's batch work (the outbox relay, every
2 s while TASKS_API_NOTIFY_API_URL is set); the API processes run none."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from services.common.jobs import Worker
from services.common.outbox import relaying_worker
from services.common.worker_host import main
from services.tasks_api.db import job_queue, outbox_events
from services.tasks_api.settings import TasksSettings


def worker(settings: TasksSettings | None = None) -> AbstractAsyncContextManager[Worker]:
    """The service's worker, opened with its database and peers; tests call `run_once()` on it."""
    return relaying_worker(settings or TasksSettings.load(), job_queue, outbox_events)


if __name__ == "__main__":
    main(worker(), service="tasks_api.worker")
