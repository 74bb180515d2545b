"""Batch work as jobs in the service's own database, run by the service's worker process (`python -m
services.<svc>.worker`); an API waits for the jobs of its requests (common/job_requests.py).

- `enqueue(conn, kind, payload, key=…)` writes a job in the caller's transaction: the job exists exactly when the
  domain change committed, with no second store to keep in step. A `key` makes the job unique.
- A worker claims due jobs with one `UPDATE … RETURNING` from a pick that PostgreSQL makes with
  `FOR UPDATE SKIP LOCKED` (workers never wait for, nor take, each other's jobs; the UPDATE re-checks that the job
  is still due) and that SQLite runs under its one write lock. A claim is a lease: a worker that dies loses nothing,
  the job is due again when its lease runs out, and a lease is extended while the job runs.
- A failed job is retried with backoff up to its kind's `max_attempts`, then kept as `failed`; a `Refused` one
  fails at once. A periodic kind has one job row, keyed by the kind, queued again after each run for the start
  of the next interval: any number of workers run it once per interval between them.
Results are written only while the claim is still ours (status `running` and the attempt count we claimed).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData, Table, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.collector import paused_for_batch
from services.common.db import Database
from services.common.dialect import dialect_of

logger = logging.getLogger("duban.jobs")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
LEASE_SECONDS = 60.0  # by default (a worker's JOB_LEASE_SECONDS); extended every third of it while the job runs
IDLE_SECONDS = 1.0  # how long an idle worker sleeps before it looks for due jobs again
BACKOFF_CAP_SECONDS = 3600.0
KEEP_FINISHED = timedelta(days=7)  # finished one-off jobs are pruned after this
PRUNE_EVERY_SECONDS = 3600.0

JobResult = Mapping[str, object] | None  # kept as JSON in the job's row


class Refused(Exception):
    """A job that cannot do what was asked (a peer is down): it fails at once, `result` telling its caller why."""

    def __init__(self, message: str, result: Mapping[str, object]) -> None:
        super().__init__(message)
        self.result = result


def jobs_table(metadata: MetaData) -> Table:
    """The queue, in the service's own database."""
    return Table(
        "jobs",
        metadata,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("key", sa.String(200), unique=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("result", sa.JSON),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Index("ix_jobs_due", "status", "run_after", "id"),
        sqlite_autoincrement=True,  # ids are never reused (as on PostgreSQL)
    )


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed job as its handler sees it; `run_after` is the moment it was due (a periodic job's tick)."""

    id: int
    kind: str
    key: str | None
    payload: Mapping[str, Any]
    attempts: int
    run_after: datetime


Handler = Callable[[Job], Awaitable[JobResult]]


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of job the worker runs: its handler, how often it is retried and, for a periodic kind, its interval."""

    name: str
    handler: Handler
    max_attempts: int = 5
    every: float | None = None  # seconds: a periodic kind, run once per interval
    batch: bool = False  # builds a large heap that lives until it ends: a worker process pauses the collector for it


async def enqueue(
    conn: AsyncConnection,
    table: Table,
    kind: str,
    payload: Mapping[str, Any],
    *,
    key: str | None = None,
    run_after: datetime | None = None,
) -> int:
    """Queue a job in the caller's transaction; with a `key` already queued, the id of the job already there."""
    job_id = await enqueue_new(conn, table, kind, payload, key=key, run_after=run_after)
    if job_id is None:  # the key was there already
        return int((await conn.execute(select(table.c.id).where(table.c.key == key))).scalar_one())
    return job_id


async def enqueue_new(
    conn: AsyncConnection,
    table: Table,
    kind: str,
    payload: Mapping[str, Any],
    *,
    key: str | None = None,
    run_after: datetime | None = None,
) -> int | None:
    """Queue a job in the caller's transaction; None when a job with this `key` exists (nothing is written)."""
    now = clock.now()
    row = dict(
        kind=kind, key=key, payload=dict(payload), status=QUEUED, run_after=run_after or now, attempts=0, created_at=now
    )
    job_id = await conn.scalar(dialect_of(conn).insert_or_skip(table, row, conflict_key="key").returning(table.c.id))
    return None if job_id is None else int(job_id)


def _due(table: Table, kinds: Sequence[str], now: datetime) -> Any:
    """Queued and due, or running under a lease that ran out."""
    j = table.c
    return and_(
        j.kind.in_(kinds),
        or_(and_(j.status == QUEUED, j.run_after <= now), and_(j.status == RUNNING, j.lease_until < now)),
    )


async def claim(
    db: Database, table: Table, kinds: Sequence[str], *, limit: int = 1, lease_seconds: float = LEASE_SECONDS
) -> list[Job]:
    """Mark up to `limit` due jobs of `kinds` running under a lease, oldest due first, in one statement."""
    now = clock.now()
    j = table.c
    # MATERIALIZED: the locking pick runs once; inlined, PostgreSQL may re-run it while updating.
    picked = (
        select(j.id)
        .where(_due(table, kinds, now))
        .order_by(j.run_after, j.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED")
    )
    statement = (
        table.update()
        .where(j.id == picked.c.id, _due(table, kinds, now))
        .values(status=RUNNING, lease_until=now + timedelta(seconds=lease_seconds), attempts=j.attempts + 1)
        .returning(j.id, j.kind, j.key, j.payload, j.attempts, j.run_after)
    )
    async with db.transaction() as conn:
        rows = (await conn.execute(statement)).all()
    return sorted((Job(*row) for row in rows), key=lambda job: (job.run_after, job.id))


async def _settle(db: Database, table: Table, job: Job, **values: Any) -> bool:
    """Write a claimed job's next state while the claim is still ours; False when another worker took it over."""
    j = table.c
    async with db.transaction() as conn:
        done = await conn.execute(
            table.update().where(j.id == job.id, j.status == RUNNING, j.attempts == job.attempts).values(**values)
        )
    if done.rowcount == 0:
        logger.warning("job %s (%s) was taken over by another worker; its outcome is dropped", job.id, job.kind)
    return done.rowcount == 1


def next_tick(now: datetime, every: float) -> datetime:
    """The start of the interval after the one `now` falls in: workers share one tick per interval."""
    seconds = (now.timestamp() // every + 1) * every
    return datetime.fromtimestamp(seconds, now.tzinfo)


def backoff(attempts: int) -> float:
    """Seconds before the next attempt: 2, 4, 8, … with ±10 % jitter, at most an hour."""
    return min(2.0**attempts, BACKOFF_CAP_SECONDS) * random.uniform(0.9, 1.1)


class Worker:
    """Claims and runs jobs of its kinds, one at a time, so that in a worker process (`owns_process`, never in an API
    process running a job itself) a batch job may pause the collector; `run_once()` is one pass, as tests call it."""

    lease_seconds = LEASE_SECONDS  # its hold on a job; a worker process's is its service's JOB_LEASE_SECONDS

    def __init__(self, db: Database, table: Table, kinds: Sequence[Kind], *, owns_process: bool = False) -> None:
        self.db, self.table, self.owns_process = db, table, owns_process
        self.kinds = {kind.name: kind for kind in kinds}
        self._stopping = asyncio.Event()

    async def schedule_periodic(self) -> None:
        """Make sure each periodic kind has its one row (the first worker to start writes it)."""
        async with self.db.transaction() as conn:
            for kind in self.kinds.values():
                if kind.every is not None:
                    await enqueue(conn, self.table, kind.name, {}, key=f"periodic:{kind.name}")

    async def run_once(self, *, limit: int = 100) -> int:
        """Run up to `limit` due jobs one after another; returns how many were run."""
        ran = 0
        while ran < limit and not self._stopping.is_set():
            claimed = await claim(self.db, self.table, list(self.kinds), lease_seconds=self.lease_seconds)
            if not claimed:
                break
            await self.run_job(claimed[0])
            ran += 1
        return ran

    async def run(self) -> None:
        scheduled, next_prune = False, 0.0
        while not self._stopping.is_set():
            try:
                if not scheduled:  # the database may not be there yet when the worker starts
                    await self.schedule_periodic()
                    scheduled = True
                ran = await self.run_once()
                if asyncio.get_running_loop().time() >= next_prune:
                    await self.prune()
                    next_prune = asyncio.get_running_loop().time() + PRUNE_EVERY_SECONDS
            except Exception:  # the database went away: wait and try again
                logger.exception("the worker could not claim jobs; trying again")
                ran = 0
            if ran == 0:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), IDLE_SECONDS)

    def stop(self) -> None:
        """Finish the job in progress, then return from run()."""
        self._stopping.set()

    async def prune(self) -> None:
        """Delete one-off jobs finished longer than KEEP_FINISHED ago."""
        j = self.table.c
        async with self.db.transaction() as conn:
            await conn.execute(
                self.table.delete().where(j.status.in_((DONE, FAILED)), j.finished_at < clock.now() - KEEP_FINISHED)
            )

    async def run_job(self, job: Job) -> None:
        """Run a job this worker claimed, and write how it ended."""
        kind = self.kinds[job.kind]
        keeper = asyncio.create_task(self._keep_lease(job))
        try:
            with paused_for_batch() if kind.batch and self.owns_process else nullcontext():
                result = await kind.handler(job)
        except Refused as refused:  # an answer, not a fault: no attempts left (asking again gets the same)
            await self._settle(job, replace(kind, max_attempts=0), result=dict(refused.result), error=str(refused))
        except Exception as exc:
            logger.exception("job %s (%s) failed on attempt %d", job.id, job.kind, job.attempts)
            await self._settle(job, kind, error=f"{type(exc).__name__}: {exc}"[:2000])
        else:
            await self._settle(job, kind, result=dict(result) if result is not None else None)
        finally:
            keeper.cancel()
            with suppress(asyncio.CancelledError):
                await keeper

    async def _settle(self, job: Job, kind: Kind, *, result: Any = None, error: str | None = None) -> None:
        now = clock.now()
        if kind.every is not None:  # periodic: queued again for the next interval, whatever happened
            values = {"status": QUEUED, "run_after": next_tick(now, kind.every), "attempts": 0, "error": error}
            values["result"] = result  # the last run's, for whoever looks
        elif error is None:
            values = {"status": DONE, "result": result, "error": None, "finished_at": now}
        elif job.attempts >= kind.max_attempts:
            values = {"status": FAILED, "result": result, "error": error, "finished_at": now}
        else:
            values = {"status": QUEUED, "error": error, "run_after": now + timedelta(seconds=backoff(job.attempts))}
        await _settle(self.db, self.table, job, lease_until=None, **values)

    async def _keep_lease(self, job: Job) -> None:
        """Extend the lease every third of it while the job runs, so a long job is not taken over."""
        j = self.table.c
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            async with self.db.transaction() as conn:
                await conn.execute(
                    self.table.update()
                    .where(j.id == job.id, j.status == RUNNING, j.attempts == job.attempts)
                    .values(lease_until=clock.now() + timedelta(seconds=self.lease_seconds))
                )
