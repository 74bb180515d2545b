"""A dispatch asked for (POST /v1/dispatches, `duban dispatch`) runs as a `dispatches.run` job on notify_api's
worker, keyed on its as_of: callers racing with one as_of queue one job and all wait for it. The caller that queued
it answers 201 when the job planned the run (and 200 when a run with that as_of existed), the others 200, as when
the request ran the dispatch itself. With no worker, the caller runs the job past the grace period
(common/job_requests.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from services.common.contracts.reporting import ReportingClient
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.common.job_requests import (
    GONE,
    Outcome,
    as_a_worker,
    forget,
    problem_of,
    refusal,
    run_and_wait,
    submit,
)
from services.common.jobs import DONE, Job, Kind
from services.common.problems import ProblemError
from services.notify_api.db import job_queue
from services.notify_api.deliveries.clock import utc
from services.notify_api.dispatches import repository
from services.notify_api.dispatches.repository import DispatchRow
from services.notify_api.dispatches.service import run_dispatch
from services.notify_api.settings import NotifySettings

RUN = "dispatches.run"


@dataclass(frozen=True, slots=True)
class Dispatcher:
    """What a dispatch runs with: the database, settings and peers of an app, a worker or the command line."""

    database: Database
    settings: NotifySettings
    tasks: TasksClient
    reporting: ReportingClient


def run_kind(dispatcher: Dispatcher) -> Kind:
    """The job kind: run once (its caller is waiting, and tells its own caller to try again)."""
    return Kind(RUN, partial(run_job, dispatcher), max_attempts=1, batch=True)


async def run_job(dispatcher: Dispatcher, job: Job) -> dict[str, int | bool]:
    """Run the dispatch the job asks for; a problem (a peer down, another dispatcher on SQLite) refuses it."""
    d = dispatcher
    as_of, actor = datetime.fromisoformat(job.payload["as_of"]), job.payload["actor"]
    try:
        dispatch, ran = await run_dispatch(
            d.database, d.settings, tasks=d.tasks, reporting=d.reporting, as_of=as_of, actor=actor
        )
    except ProblemError as problem:
        raise refusal(problem) from problem
    return {"dispatch_id": dispatch["id"], "ran": ran}


async def dispatch(dispatcher: Dispatcher, *, as_of: datetime, actor: str) -> tuple[DispatchRow, bool]:
    """The dispatch as of `as_of`, run by a job unless it ran before; and whether this call planned it."""
    db, as_of = dispatcher.database, utc(as_of)
    async with db.read() as conn:
        if existing := await repository.run_at(conn, as_of):
            return existing, False
    payload = {"as_of": as_of.isoformat(), "actor": actor}
    with as_a_worker():
        job_id, queued_here, outcome = await _queue_and_wait(dispatcher, payload)
        if outcome is None or outcome.status != DONE:
            if outcome is not None:
                await forget(db, job_queue, job_id)  # a failed dispatch wrote nothing; neither does its job stay
            raise problem_of(outcome, work=f"dispatch as of {payload['as_of']}")
    result = outcome.result or {}
    async with db.read() as conn:
        return await repository.get_run(conn, result["dispatch_id"]), queued_here and bool(result["ran"])


async def _queue_and_wait(dispatcher: Dispatcher, payload: dict[str, str]) -> tuple[int, bool, Outcome | None]:
    """Queue the job (or find it queued) and wait for it: (its id, whether this call queued it, its outcome)."""
    db, settings = dispatcher.database, dispatcher.settings
    for _ in range(3):
        async with db.transaction() as conn:
            job_id, queued_here = await submit(conn, job_queue, RUN, payload, key=f"{RUN}:{payload['as_of']}")
        kind = run_kind(dispatcher)
        grace, within = settings.job_grace_seconds, settings.job_wait_seconds
        lease = settings.job_lease_seconds
        outcome = await run_and_wait(db, job_queue, kind, job_id, grace=grace, within=within, lease=lease)
        if outcome is None or outcome.status != GONE:
            break  # gone: another caller read the job's failure and deleted it; ask again (a new job)
    return job_id, queued_here, outcome
