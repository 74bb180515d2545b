"""Jobs a request waits for: an API queues the batch work of a request (a dispatch, a ledger export) for its
service's worker and answers once the job is done, polling the jobs table with no transaction open.

With no worker at hand (the tests, one process on a laptop, a worker busy with a long job) nobody claims the job:
after `grace` seconds the API claims it itself, with the same compare-and-set a worker claims with, and runs it in
its own process. So a request is answered either way, and its job runs once. A job refused (`jobs.Refused`, built
by `refusal`) carries the problem document its request answers with (`problem_of`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypedDict

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.db import COMMIT_MARK, Database
from services.common.jobs import DONE, FAILED, LEASE_SECONDS, QUEUED, RUNNING, Job, Kind, Refused, Worker, enqueue_new
from services.common.problems import ProblemError, ServiceUnavailable

GONE = "gone"  # the job's row was deleted: a caller read its outcome and forgot it
POLL_SECONDS = 0.2
_RUNNING: set[asyncio.Task[None]] = set()  # jobs this process took over


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a job ended: done, failed, or gone."""

    status: str
    result: Mapping[str, Any] | None
    error: str | None


class ProblemPayload(TypedDict):
    """A problem document's parts, as a refused job keeps them in its result."""

    status: int
    slug: str
    detail: str
    headers: dict[str, str]
    extra: dict[str, Any]


def refusal(problem: ProblemError) -> Refused:
    """The Refused a job raises to answer its request with `problem`."""
    payload = ProblemPayload(
        status=problem.status,
        slug=problem.slug,
        detail=problem.detail,
        headers=dict(problem.headers),
        extra=dict(problem.extra),
    )
    return Refused(problem.detail, {"problem": payload})


def problem_of(outcome: Outcome | None, *, work: str) -> ProblemError:
    """The problem a request answers with when its job did not end well: the job's own when it was refused, else
    a 503 (the job failed, or still runs after the request's wait)."""
    found = (outcome.result or {}).get("problem") if outcome else None
    if found is None:
        ending = "is still running" if outcome is None else "failed"
        return ServiceUnavailable(f"The {work} {ending}; try again shortly.", headers={"Retry-After": "5"})
    problem = ProblemError(found["detail"], headers=found["headers"], **found["extra"])
    problem.status, problem.slug = found["status"], found["slug"]
    return problem


@contextmanager
def as_a_worker() -> Iterator[None]:
    """Run a request's job and its bookkeeping as a worker would: their commits leave the request's
    Idempotency-Key unstamped (common/idempotency.py) whichever process runs the job, so a request whose job
    failed and wrote nothing may be retried for real, as when it ran the work itself."""
    token = COMMIT_MARK.set(None)
    try:
        yield
    finally:
        COMMIT_MARK.reset(token)


async def submit(
    conn: AsyncConnection, table: Table, kind: str, payload: Mapping[str, Any], *, key: str
) -> tuple[int, bool]:
    """Queue the job under `key`, or queue it again when it failed; returns its id and whether this call queued
    it (False: it is queued, running or done for another caller)."""
    j = table.c
    for _ in range(3):  # a failed job may be deleted by its caller between two statements
        job_id = await enqueue_new(conn, table, kind, payload, key=key)
        if job_id is not None:
            return job_id, True
        again = await conn.scalar(
            table.update()
            .where(j.key == key, j.status == FAILED)
            .values(status=QUEUED, run_after=clock.now(), attempts=0, result=None, error=None, finished_at=None)
            .returning(j.id)
        )
        if again is not None:
            return int(again), True
        existing = await conn.scalar(select(j.id).where(j.key == key))
        if existing is not None:
            return int(existing), False
    raise RuntimeError(f"the job {key!r} could neither be queued nor found")


async def _watch(
    db: Database, table: Table, job_id: int, *, within: float, until: Callable[[Outcome], bool], poll: float
) -> Outcome:
    """Poll the job until `until` holds of its state (GONE once its row is deleted); TimeoutError after `within`
    seconds."""
    j = table.c
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with db.read() as conn:
            row = (await conn.execute(select(j.status, j.result, j.error).where(j.id == job_id))).first()
        state = Outcome(GONE, None, None) if row is None else Outcome(row.status, row.result, row.error)
        if until(state):
            return state
        if asyncio.get_running_loop().time() >= deadline:
            raise TimeoutError
        await asyncio.sleep(poll)


def _ended(state: Outcome) -> bool:
    return state.status in (DONE, FAILED, GONE)


async def wait_for(
    db: Database, table: Table, job_id: int, *, within: float, poll: float = POLL_SECONDS
) -> Outcome | None:
    """The outcome of job `job_id` once it is done, failed or gone; None when `within` seconds pass first."""
    try:
        return await _watch(db, table, job_id, within=within, until=_ended, poll=poll)
    except TimeoutError:
        return None


async def take_over(db: Database, table: Table, job_id: int, *, lease: float = LEASE_SECONDS) -> Job | None:
    """Claim job `job_id` while it is still queued, as a worker would; None when a worker has it (or it ended)."""
    j = table.c
    statement = (
        table.update()
        .where(j.id == job_id, j.status == QUEUED)
        .values(status=RUNNING, lease_until=clock.now() + timedelta(seconds=lease), attempts=j.attempts + 1)
        .returning(j.id, j.kind, j.key, j.payload, j.attempts, j.run_after)
    )
    async with db.transaction() as conn:
        row = (await conn.execute(statement)).first()
    return Job(*row) if row is not None else None


async def started(
    db: Database, table: Table, kind: Kind, job_id: int, *, grace: float, lease: float = LEASE_SECONDS
) -> asyncio.Task[None] | None:
    """Make sure job `job_id` runs: a worker claims it within `grace` seconds, or this process takes it over (under
    a `lease` a worker may take it back after, should this process die) and runs it in a task, returned so the caller
    can await it (None: a worker has it, or it ended)."""
    with suppress(TimeoutError):
        await _watch(db, table, job_id, within=grace, until=lambda state: state.status != QUEUED, poll=POLL_SECONDS)
        return None
    job = await take_over(db, table, job_id, lease=lease)
    if job is None:
        return None
    runner = Worker(db, table, [kind])
    runner.lease_seconds = lease
    task = asyncio.create_task(runner.run_job(job))
    _RUNNING.add(task)  # held until it ends: the event loop keeps only a weak reference
    task.add_done_callback(_RUNNING.discard)
    return task


async def run_and_wait(
    db: Database, table: Table, kind: Kind, job_id: int, *, grace: float, within: float, lease: float = LEASE_SECONDS
) -> Outcome | None:
    """Job `job_id`'s outcome, run by a worker or, past `grace`, by this process; None after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    running_here = await started(db, table, kind, job_id, grace=grace, lease=lease)
    if running_here is not None:
        await asyncio.shield(running_here)  # a request cancelled (client gone) leaves the job to finish
    return await wait_for(db, table, job_id, within=max(0.0, deadline - asyncio.get_running_loop().time()))


async def forget(db: Database, table: Table, job_id: int) -> None:
    """Delete a job that ended, once its caller read the outcome: a request's job is kept no longer than that."""
    j = table.c
    async with db.transaction() as conn:
        await conn.execute(table.delete().where(j.id == job_id, j.status.in_((DONE, FAILED))))
