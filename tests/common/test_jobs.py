"""The jobs queue (services/common/jobs.py): enqueued in the caller's transaction, claimed under a lease, retried
with backoff, periodic kinds once per interval, never run twice by two workers, and a batch job run with the
collector paused in a worker process only."""

from __future__ import annotations

import asyncio
import gc
import threading
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import func, select

from services.common import clock
from services.common.db import Database, make_engine
from services.common.job_requests import wait_for
from services.common.jobs import DONE, FAILED, QUEUED, RUNNING, Job, Kind, Worker, claim, enqueue, next_tick
from services.notify_api.dispatches.queue import Dispatcher, run_kind
from services.tasks_api.db import job_queue

T0 = datetime(2030, 1, 7, 4, 0, tzinfo=UTC)  # after every job the tests enqueue at the real now


@pytest.fixture(scope="module")
def queue_url(databases):
    return databases.migrated("jobs", "tasks_api")


@pytest.fixture
def db(queue_url):
    async def empty():
        database = Database(make_engine(queue_url))
        async with database.transaction() as conn:
            await conn.execute(job_queue.delete())
        await database.dispose()

    asyncio.run(empty())
    return queue_url


def run(url, work):
    """Run `work(database)` on a fresh engine, as a process of its own would."""

    async def go():
        database = Database(make_engine(url))
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(go())


async def put(database, kind="echo", payload=None, **options):
    async with database.transaction() as conn:
        return await enqueue(conn, job_queue, kind, payload or {}, **options)


async def row_of(database, job_id):
    async with database.read() as conn:
        return (await conn.execute(select(job_queue).where(job_queue.c.id == job_id))).mappings().one()


async def echo(job: Job):
    return {"echo": job.payload.get("n")}


def test_a_job_enqueued_twice_with_one_key_is_one_job(db):
    async def work(database):
        first = await put(database, key="ledger:1")
        again = await put(database, key="ledger:1")
        async with database.read() as conn:
            count = await conn.scalar(select(func.count()).select_from(job_queue))
        return first, again, count

    first, again, count = run(db, work)
    assert first == again and count == 1


def test_a_job_enqueued_in_a_transaction_that_rolls_back_does_not_exist(db):
    async def work(database):
        with pytest.raises(RuntimeError):
            async with database.transaction() as conn:
                await enqueue(conn, job_queue, "echo", {})
                raise RuntimeError("the domain write failed")
        return await Worker(database, job_queue, [Kind("echo", echo)]).run_once()

    assert run(db, work) == 0


def test_run_once_runs_a_due_job_and_keeps_its_result(db):
    async def work(database):
        job_id = await put(database, payload={"n": 7})
        ran = await Worker(database, job_queue, [Kind("echo", echo)]).run_once()
        return ran, await row_of(database, job_id)

    ran, row = run(db, work)
    assert ran == 1
    assert (row["status"], row["result"], row["attempts"]) == (DONE, {"echo": 7}, 1)


def test_a_job_due_later_is_not_run_yet(db):
    async def work(database):
        await put(database, run_after=clock.now() + timedelta(minutes=5))
        return await Worker(database, job_queue, [Kind("echo", echo)]).run_once()

    assert run(db, work) == 0


def test_a_worker_runs_only_its_own_kinds(db):
    async def work(database):
        await put(database, kind="ledger.export")
        return await Worker(database, job_queue, [Kind("echo", echo)]).run_once()

    assert run(db, work) == 0


async def broken(job: Job):
    raise ValueError("the peer answered nonsense")


def test_a_failed_job_is_retried_later_with_its_error_kept(db):
    async def work(database):
        job_id = await put(database)
        with clock.frozen(T0):
            await Worker(database, job_queue, [Kind("echo", broken, max_attempts=3)]).run_once()
        return await row_of(database, job_id)

    row = run(db, work)
    assert (row["status"], row["attempts"]) == (QUEUED, 1)
    assert "the peer answered nonsense" in row["error"]
    assert T0 + timedelta(seconds=1.5) < row["run_after"] < T0 + timedelta(seconds=2.5)  # 2 s ± 10 %


def test_a_job_that_fails_max_attempts_times_is_kept_as_failed(db):
    async def work(database):
        job_id = await put(database)
        worker = Worker(database, job_queue, [Kind("echo", broken, max_attempts=2)])
        for hour in range(3):
            with clock.frozen(T0 + timedelta(hours=hour)):
                await worker.run_once()
        return await row_of(database, job_id)

    row = run(db, work)
    assert (row["status"], row["attempts"]) == (FAILED, 2)


def test_a_job_whose_worker_died_is_run_again_after_its_lease(db):
    async def work(database):
        job_id = await put(database)
        with clock.frozen(T0):
            await claim(database, job_queue, ["echo"])  # a worker claims it, then dies
        worker = Worker(database, job_queue, [Kind("echo", echo)])
        with clock.frozen(T0 + timedelta(seconds=30)):
            early = await worker.run_once()
        with clock.frozen(T0 + timedelta(minutes=2)):
            late = await worker.run_once()
        return early, late, await row_of(database, job_id)

    early, late, row = run(db, work)
    assert (early, late) == (0, 1)
    assert (row["status"], row["attempts"]) == (DONE, 2)


def test_a_periodic_job_held_by_a_worker_that_died_is_taken_over_after_the_workers_own_lease(db):
    async def work(database):
        quick = Worker(database, job_queue, [Kind("relay", echo, every=2)])
        quick.lease_seconds = 5
        with clock.frozen(T0):
            await quick.schedule_periodic()
            (held,) = await claim(database, job_queue, ["relay"], lease_seconds=quick.lease_seconds)  # then dies
        with clock.frozen(held.run_after + timedelta(seconds=4)):
            early = await quick.run_once()
        with clock.frozen(held.run_after + timedelta(seconds=6)):
            late = await quick.run_once()
        return early, late

    assert run(db, work) == (0, 1)


def test_a_worker_whose_lease_was_taken_over_does_not_overwrite_the_new_outcome(db):
    async def work(database):
        job_id = await put(database)
        with clock.frozen(T0):
            (stale,) = await claim(database, job_queue, ["echo"])
        with clock.frozen(T0 + timedelta(minutes=2)):
            (current,) = await claim(database, job_queue, ["echo"])
            worker = Worker(database, job_queue, [Kind("echo", broken, max_attempts=1)])
            await worker._settle(stale, worker.kinds["echo"], result={"late": True})
        return current, await row_of(database, job_id)

    current, row = run(db, work)
    assert (row["status"], row["result"], row["attempts"]) == (RUNNING, None, current.attempts)


def test_a_periodic_kind_runs_once_per_interval(db):
    runs = []

    async def tick(job: Job):
        runs.append(job.run_after)

    async def work(database):
        worker = Worker(database, job_queue, [Kind("relay", tick, every=60)])
        with clock.frozen(T0 + timedelta(seconds=10)):
            await worker.schedule_periodic()
            await worker.schedule_periodic()  # a second worker starting: still one row
            await worker.run_once()
        with clock.frozen(T0 + timedelta(seconds=50)):
            await worker.run_once()  # same interval: nothing
        with clock.frozen(T0 + timedelta(seconds=61)):
            await worker.run_once()
        async with database.read() as conn:
            return await conn.scalar(select(func.count()).select_from(job_queue))

    assert run(db, work) == 1
    assert runs == [T0 + timedelta(seconds=10), T0 + timedelta(seconds=60)]


def test_a_periodic_kind_that_fails_is_queued_for_the_next_interval(db):
    async def work(database):
        worker = Worker(database, job_queue, [Kind("relay", broken, every=60)])
        with clock.frozen(T0 + timedelta(seconds=10)):
            await worker.schedule_periodic()
            await worker.run_once()
        async with database.read() as conn:
            return (await conn.execute(select(job_queue))).mappings().one()

    row = run(db, work)
    assert (row["status"], row["run_after"]) == (QUEUED, T0 + timedelta(seconds=60))
    assert "nonsense" in row["error"]


def test_next_tick_is_the_start_of_the_next_interval():
    assert next_tick(T0 + timedelta(seconds=59), 60) == T0 + timedelta(seconds=60)
    assert next_tick(T0, 60) == T0 + timedelta(seconds=60)


def test_wait_for_returns_the_finished_job(db):
    async def work(database):
        job_id = await put(database, payload={"n": 3})
        waiting = asyncio.create_task(wait_for(database, job_queue, job_id, within=10, poll=0.01))
        await Worker(database, job_queue, [Kind("echo", echo)]).run_once()
        return await waiting

    outcome = run(db, work)
    assert (outcome.status, outcome.result) == (DONE, {"echo": 3})


def test_wait_for_gives_up_after_its_timeout(db):
    async def work(database):
        return await wait_for(database, job_queue, await put(database), within=0.05, poll=0.01)

    assert run(db, work) is None


def test_two_workers_claiming_the_same_jobs_in_parallel_never_run_one_twice(db):
    jobs, rounds = 40, 3
    ran: list[int] = []
    lock = threading.Lock()

    async def record(job: Job):
        await asyncio.sleep(0)  # let the other worker claim meanwhile
        with lock:
            ran.append(job.id)

    def worker(start: threading.Barrier):
        async def work(database):
            await database.ping()
            start.wait()
            while await Worker(database, job_queue, [Kind("echo", record)]).run_once():
                pass

        run(db, work)

    for _ in range(rounds):
        ran.clear()

        async def fill(database):
            return [await put(database, payload={"n": n}) for n in range(jobs)]

        queued = run(db, fill)
        start = threading.Barrier(2)
        threads = [threading.Thread(target=worker, args=(start,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(ran) == sorted(queued)


def test_finished_jobs_are_pruned_after_a_week_and_kept_before(db):
    async def work(database):
        worker = Worker(database, job_queue, [Kind("echo", echo)])
        old = await put(database)
        await worker.run_once()
        with clock.frozen(clock.now() + timedelta(days=6)):
            recent = await put(database)
            await worker.run_once()
        with clock.frozen(clock.now() + timedelta(days=8)):
            await worker.prune()
        async with database.read() as conn:
            return old, recent, set((await conn.execute(select(job_queue.c.id))).scalars())

    old, recent, left = run(db, work)
    assert old not in left and left == {recent}


# -- a worker process's batch jobs (services/common/jobs.py Kind.batch) -------------------------------------


async def collector_state(job: Job) -> dict[str, bool]:
    return {"collecting": gc.isenabled()}


def job_ran_collecting(db: str, kind: Kind, *, owns_process: bool) -> bool:
    async def work(database):
        job_id = await put(database, kind.name)
        await Worker(database, job_queue, [kind], owns_process=owns_process).run_once()
        return (await row_of(database, job_id))["result"]["collecting"]

    return run(db, work)


def test_a_worker_process_runs_a_batch_job_with_the_collector_paused_and_turns_it_back_on(db):
    assert job_ran_collecting(db, Kind("batch", collector_state, batch=True), owns_process=True) is False
    assert gc.isenabled()


def test_an_api_process_running_a_batch_job_itself_leaves_the_collector_on(db):
    assert job_ran_collecting(db, Kind("batch", collector_state, batch=True), owns_process=False) is True


def test_a_worker_process_runs_an_ordinary_job_with_the_collector_on(db):
    assert job_ran_collecting(db, Kind("plain", collector_state), owns_process=True) is True


def test_a_dispatch_is_a_batch_job():
    assert run_kind(cast(Dispatcher, None)).batch
