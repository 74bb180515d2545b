"""POST /v1/dispatches as a `dispatches.run` job (dispatches/queue.py): one job per as_of however many callers
race, run by the worker when one claims it and by the API otherwise, with the same answer either way."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from services.common.db import Database, make_engine
from services.notify_api.db import job_queue
from services.notify_api.dispatches import queue
from services.notify_api.worker import worker as notify_worker
from tests.notify_api.conftest import add_contact
from tests.notify_api.test_planner import TRANSPORT
from tests.problems import assert_problem

AS_OF = "2019-12-28T10:00:00+08:00"


def jobs_of(url: str) -> list[dict]:
    async def read() -> list[dict]:
        database = Database(make_engine(url))
        try:
            async with database.read() as conn:
                rows = await conn.execute(select(job_queue).where(job_queue.c.kind == queue.RUN))
                return [dict(row) for row in rows.mappings()]
        finally:
            await database.dispose()

    return asyncio.run(read())


def test_two_apis_posting_one_as_of_at_once_queue_one_job_and_one_of_them_creates_the_run(
    notify_app_factory, auth, quzhou
):
    first, second = notify_app_factory(), notify_app_factory()  # two API processes: two event loops, two threads
    add_contact(first, auth("office"), "unit", quzhou.unit_id(TRANSPORT), target="ops@example.org", channel="email")
    start = threading.Barrier(2)

    def post(client):
        start.wait()
        return client.post("/v1/dispatches", json={"as_of": AS_OF}, headers=auth("office"))

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(post, [first, second]))
    assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
    assert answers[0].json() == answers[1].json() and answers[0].json()["created"] > 0
    assert len(jobs_of(first.app.state.settings.database_url)) == 1


def test_a_dispatch_a_worker_runs_answers_as_the_api_running_it_would(notify_app_factory, auth, quzhou):
    client = notify_app_factory(job_grace_seconds=60.0)  # long enough that only the worker can run it
    add_contact(client, auth("office"), "unit", quzhou.unit_id(TRANSPORT), target="ops@example.org", channel="email")
    settings = client.app.state.settings

    async def work_until_a_job_ran() -> int:
        async with notify_worker(settings) as worker:
            for _ in range(200):
                if ran := await worker.run_once():
                    return ran
                await asyncio.sleep(0.05)
        return 0

    with ThreadPoolExecutor(1) as pool:
        posted = pool.submit(client.post, "/v1/dispatches", json={"as_of": AS_OF}, headers=auth("office"))
        assert asyncio.run(work_until_a_job_ran()) == 1
        answer = posted.result(timeout=60)
    assert answer.status_code == 201, answer.text
    assert answer.json()["created"] > 0 and answer.json()["started_by"] == "test-office-0"
    assert client.get(answer.headers["Location"], headers=auth("viewer")).json() == answer.json()
    again = client.post("/v1/dispatches", json={"as_of": AS_OF}, headers=auth("office"))
    assert (again.status_code, again.json()) == (200, answer.json())
    [job] = jobs_of(settings.database_url)
    assert (job["status"], job["attempts"]) == ("done", 1)


def test_a_dispatch_job_that_breaks_is_answered_with_a_503_problem_and_leaves_no_job(notify_client, auth, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(queue, "run_dispatch", broken)
    response = notify_client.post("/v1/dispatches", json={"as_of": AS_OF}, headers=auth("office"))
    assert_problem(response, 503)
    assert "disk" not in response.text  # the cause is logged, not told
    assert jobs_of(notify_client.app.state.settings.database_url) == []
    monkeypatch.undo()
    assert notify_client.post("/v1/dispatches", json={"as_of": AS_OF}, headers=auth("office")).status_code == 201
