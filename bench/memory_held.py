"""What reporting_api's resident set holds after its batches: its caches, its pools, or its allocators' free memory.

`make bench` measures the growth over idle a minute after the roll-ups of every plan and the ledger exports (bench/
memory.py) but cannot say what the growth is. This runs reporting_api in this process (its peer, tasks_api, as the
bench starts it), makes those batches `--passes` times, and then lets go of what the app keeps, one holder at a time
(the roll-up memo, the plan shapes, the compliance walks, the peer caches, the database pools), taking the RSS after
a collection and a malloc_trim at each step. What remains after the last step is held by no cache: the allocators'
free memory that live objects, scattered through it by the batches, pin (services/common/memory.py), and the
objects themselves; `--trace` counts those by source file with tracemalloc (itself costly: its RSS figures are not
comparable); `--warm` makes the batches once on the smallest plan before the idle mark (what is made only once);
`--plans N` rolls up only the first N plans (plan 1, the largest, alone: `--plans 1`); each mark gives CPython's
arenas then (bench/arenas.py: how many, and the MB of empty pools in those still held); `--survivors` lists, at
the end, the objects made since the idle mark that are still alive, over how many MiB they lie, and what holds them
(the commonest chains of holders: which cache, pool or timer keeps them; its mark's array of addresses is in the RSS
figures, and says how large it is); and `--arenas` prints CPython's allocator statistics
at the end (sys._debugmallocstats, to stderr).

    python -m bench.memory_held --prefix bench --passes 2
    python -m bench.memory_held --prefix bench --plans 1 --warm --survivors
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from bench import reads
from bench.arenas import Arenas, Survivors
from bench.generate import ADMIN_DSN, RECEIVER_PORT, Target
from bench.list_cost import serving
from bench.processes import running_stack, status_mb
from services.common import loops
from services.common.auth import mint_token
from services.common.cookieless import CookielessClient
from services.common.memory import LIBRARY_TRIM
from services.reporting_api.app import create_app
from services.reporting_api.settings import ReportingSettings

Release = Callable[[FastAPI], Awaitable[None]]
TOP_SOURCES = 15  # files whose allocations still live are listed with --trace, the largest first


async def _memo(app: FastAPI) -> None:
    app.state.rollup_memo.answers.clear()


async def _shapes(app: FastAPI) -> None:
    app.state.plan_shapes.kept.clear()


async def _walks(app: FastAPI) -> None:
    app.state.compliance_walks.views.clear()


async def _peer_caches(app: FastAPI) -> None:
    http = app.state.tasks.http
    http.forget()
    http.revalidated.walks.clear()
    http.urls.clear()


async def _pools(app: FastAPI) -> None:
    database = app.state.database
    await database.driver_pool.close()
    await database.engine.dispose()


# In this order: the pools last, as a closed pool ends what the app can still do.
RELEASES: tuple[tuple[str, Release], ...] = (
    ("roll-up memo cleared", _memo),
    ("plan shapes cleared", _shapes),
    ("compliance walks cleared", _walks),
    ("peer caches cleared", _peer_caches),
    ("database pools closed", _pools),
)


def resident_mb() -> float:
    """This process's RSS after a full collection and a malloc_trim (what the app's own trim would return)."""
    gc.collect()
    if LIBRARY_TRIM is not None:
        LIBRARY_TRIM(0)
    return status_mb(os.getpid())


class Marks:
    """The RSS at each step, printed with its growth over the first and CPython's arenas then (bench/arenas.py)."""

    def __init__(self) -> None:
        self.idle: float | None = None

    def take(self, step: str) -> None:
        mb = resident_mb()
        self.idle = mb if self.idle is None else self.idle
        arenas = Arenas.now()  # None under --trace
        note = arenas.note() if arenas else ""
        print(f"{step:32} {mb:7.1f} MB   {mb - self.idle:+7.1f} MB over idle   {note}", flush=True)


async def batches(client: httpx.AsyncClient, plan_ids: list[int], ledger_plan: int) -> None:
    """The batches the settled figure follows: every plan's roll-up by unit, then a plan's ledger in both formats."""
    params = {"period": reads.PERIOD, "by": "unit"}
    for plan_id in plan_ids:
        (await client.get(f"/v1/plans/{plan_id}/rollups", params=params)).raise_for_status()
    for kind in ("xlsx", "csv"):
        (await client.get(f"/v1/plans/{ledger_plan}/ledger.{kind}", params={"period": reads.PERIOD})).raise_for_status()


@dataclass(frozen=True, slots=True)
class Options:
    """What to make (`passes` of the batches over the first `plans` plans, after a `warm` pass or not) and what to
    watch beyond the RSS (bench/memory_held's flags)."""

    passes: int = 1
    plans: int | None = None
    warm: bool = False
    trace: bool = False
    survivors: bool = False
    arenas: bool = False


class Watch:
    """From the idle mark on: the live objects by source file (tracemalloc), the objects made since that are still
    alive (bench/arenas.Survivors), and at the end CPython's allocator statistics."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self._traced = _traced_start() if options.trace else None
        self._survivors = Survivors() if options.survivors else None
        if self._survivors is not None:
            print(f"(the survivors' mark holds {self._survivors.held_mb:.1f} MB of addresses)", flush=True)

    def report(self) -> None:
        if self._traced is not None:
            print(f"live Python objects over idle (tracemalloc): {(_traced() - self._traced[0]) / 1e6:+.1f} MB, from:")
            for grown in tracemalloc.take_snapshot().compare_to(self._traced[1], "filename")[:TOP_SOURCES]:
                where = grown.traceback[0].filename
                print(f"  {grown.size_diff / 1e6:+6.2f} MB {grown.count_diff:+8d} objects  {where}")
        if self._survivors is not None:
            survey = self._survivors.since(holders=True)
            print(f"made since idle and alive: {survey.note()}\nheld so (the object <- its holder <- that one's):")
            print(survey.held())
        if self.options.arenas:
            sys._debugmallocstats()


async def measure(target: Target, tasks_url: str, options: Options) -> None:
    settings = ReportingSettings(
        environment="test",
        database_url=target.url("reporting_api"),
        tasks_api_url=tasks_url,
        peer_budget_seconds=300,  # as the bench's services (bench/processes.py says why)
        peer_timeout_seconds=60,
        notify_api_url="",
        job_grace_seconds=0,
    )
    subjects = await reads.find_subjects(target)
    plan_ids = list(subjects.plan_ids)[: options.plans]
    token = mint_token(settings, role="office", subject="bench")
    app = create_app(settings)
    async with serving(app), _client(app, token) as client:
        (await client.get("/healthz")).raise_for_status()
        if options.warm:  # the same batches once on the smallest plan: what is made once, made before the idle mark
            await batches(client, [subjects.plan_ids[-1]], subjects.plan_ids[-1])
        marks = Marks()
        marks.take("idle")
        watch = Watch(options)
        for n in range(options.passes):
            await batches(client, plan_ids, subjects.plan_id)
            marks.take(f"after pass {n + 1}")
        for step, release in RELEASES:
            await release(app)
            marks.take(step)
        watch.report()


def _client(app: FastAPI, token: str) -> httpx.AsyncClient:
    # Cookieless, as the services' peer clients: httpx reads each answer for cookies through urllib, which caches the
    # URLs it parses, and this client lives in the measured process (until 2026-12-07 its 50 roll-up URLs and their
    # ~200 strings were among the survivors of two passes).
    transport = httpx.ASGITransport(app)
    return CookielessClient(
        transport=transport, base_url="http://reporting", headers={"Authorization": f"Bearer {token}"}
    )


def _traced_start() -> tuple[int, tracemalloc.Snapshot]:
    tracemalloc.start()
    return _traced(), tracemalloc.take_snapshot()


def _traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prefix", default="bench")
    parser.add_argument("--admin-dsn", default=ADMIN_DSN)
    parser.add_argument("--passes", type=int, default=1, help="times the batches are made before letting go")
    parser.add_argument("--trace", action="store_true", help="also count the live objects (tracemalloc)")
    parser.add_argument("--warm", action="store_true", help="the batches once on the smallest plan before idle")
    parser.add_argument("--plans", type=int, help="roll up only the first N plans, by key (plan 1, the largest, first)")
    parser.add_argument("--survivors", action="store_true", help="also list the objects made since idle still alive")
    parser.add_argument("--arenas", action="store_true", help="and print CPython's allocator statistics at the end")
    args = parser.parse_args()
    target = Target(args.prefix, args.admin_dsn)
    options = Options(args.passes, args.plans, args.warm, args.trace, args.survivors, args.arenas)
    with running_stack(target, RECEIVER_PORT, Path("var/bench/logs")) as stack:
        loops.run(measure(target, stack.tasks.url, options))  # on the loop the service serves on (uvloop)


if __name__ == "__main__":
    main()
