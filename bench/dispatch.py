"""The dispatch figures: the full catch-up and a realistic day, each with its phases and a raw COPY of its rows.

- catch-up: the first dispatch on an empty outbox, as of DISPATCH_AS_OF: every deadline's step due then is new
  (about 1.5 M reminders by issue 15's count; what the data set's rhythm owes, 243,134 at full scale in the last
  runs);
- a day: the same deadlines read again, of which DAY_REMINDERS reminders are new: the catch-up's outbox less
  DAY_REMINDERS of its rows, spread over it (every n-th id), as of a minute later (the same business day, so the
  same steps and keys). It reads every plan's deadlines from the peers, plans and addresses them all, and writes
  only the rows not in the outbox yet, as the day after a catch-up would. Its peer clients are opened for the run
  (cold), as for the dispatch that plans most of a real day's reminders: the first after the business day turns,
  whose window (and so every page asked for) is new;
- a day, peers revalidated: the same day again (its rows set aside again), with the peer clients of the catch-up,
  which read the same pages a minute before: every page is asked for with the ETag it had, and one the peer
  answers 304 is not sent nor parsed again (services/common/revalidated.py), as for every later dispatch of a
  business day on notify_api's worker, whose clients live from one interval's dispatch to the next. The peers
  compute every page either way. Each note counts the list pages and documents the run asked for and those answered
  304: a client keeps what it parsed within its peer_cache_bytes (2 MiB by default), and a province's day is ~57 of
  them, ~48 MB of JSON (each plan's obligations as columns, 0.68 MB, since 2026-12-06; 85 MB with them as pages of
  records; and the calendar's pages), read plan after plan: each pushes an older one out before it is asked again, so
  at this scale none is answered 304 and this figure measures what the cold day does (2026-12-05).

Each run is the planner's half of services/notify_api/dispatches/service.run_dispatch (find_due, then open_run,
write_due and count_created in one transaction), in this process on one event loop (the peers' clients live across
runs) with the collector paused as notify_api's worker runs it; delivery is the delivery figure's (two dispatcher
processes). The phases (read peers, plan, address, write) are the service's own timings (reminders/planning.Phases);
since 2026-12-06 a source's deadlines are planned and addressed while the next are read, and `read peers` is the
rest of the read's wall clock.
Each note also gives the CPU seconds each process (this one, tasks_api, reporting_api) spent during the run: on a
shared machine the wall clock measures the neighbours as well, these only the run's own work.

The raw COPY baseline writes the very rows the run wrote, already encoded (COPY … TO a binary file, then timed:
COPY … FROM it) into the table as the run found it, in a transaction rolled back: for the day, the outbox less
the day's rows; for the catch-up, the outbox emptied in the same transaction (TRUNCATE), as the catch-up found it
(until 2026-12-06 an empty temporary copy of it, written without WAL: raw_copy says by how much less). It does not
read peers, plan, address, render messages, nor look up which keys are new.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg

from bench.connect import connected
from bench.figures import DISPATCH_NAMES, Figure, at_most
from bench.generate import Target
from bench.processes import Stack
from bench.profiles import Profiler
from services.common import clock, loops
from services.common.collector import paused_for_batch
from services.common.db import Database, make_engine
from services.notify_api.dispatches.jobs import peer_hooks
from services.notify_api.dispatches.repository import count_created, open_run
from services.notify_api.reminders.planning import Phases
from services.notify_api.reminders.repository import OUTBOX_COLUMNS
from services.notify_api.reminders.service import find_due, write_due
from services.notify_api.settings import NotifySettings

# The morning of 2025-01-03: a week before 2024's annual summaries are due (many are missing, by design of the data
# set) while a quarter's worth of item deadlines is overdue: the planner has a full day's work.
DISPATCH_AS_OF = datetime(2025, 1, 3, 1, 0, tzinfo=UTC)
DAY_REMINDERS = 100_000
COPY_RATIO = 2  # issue 15: a day ≤ 2× a raw COPY of the same rows; reading the peers no slower than writing


class CpuSeconds(dict[str, float]):
    """CPU seconds (user and system) each process of a run spent during it: on a shared machine the wall clock
    measures the neighbours too, this only the run's own work (filled when the block ends)."""

    @classmethod
    @contextmanager
    def during(cls, processes: dict[str, int]) -> Iterator[CpuSeconds]:
        spent, before = cls(), {name: _cpu_of(pid) for name, pid in processes.items()}
        try:
            yield spent
        finally:
            spent.update({name: _cpu_of(pid) - before[name] for name, pid in processes.items()})

    def note(self) -> str:
        return "CPU s: " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in self.items())


def _cpu_of(pid: int) -> float:
    """utime + stime of a process (/proc/<pid>/stat fields 14 and 15, after the parenthesised name)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Run:
    created: int
    seconds: float
    phases: Phases
    pages: tuple[int, int] = (0, 0)  # the peers' list pages asked for, and of them answered 304


def _pages_asked(peers: Peers) -> tuple[int, int]:
    """The list pages both peer clients asked for so far, and of them those the peer answered 304."""
    kept = [peers.holder.state.tasks.http.revalidated, peers.holder.state.reporting.http.revalidated]
    return sum(k.asked for k in kept), sum(k.not_modified for k in kept)


def notify_settings(stack: Stack, target: Target) -> NotifySettings:
    return NotifySettings(
        database_url=target.url("notify_api"),
        environment="test",
        tasks_api_url=stack.tasks.url,
        reporting_api_url=stack.reporting.url,
        peer_budget_seconds=300,
        peer_timeout_seconds=300,
    )


class Peers:
    """The peers' clients of a run of figures on one event loop: those of the catch-up stay open for the warm day,
    as a worker's stay open from one dispatch to the next."""

    def __init__(self, settings: NotifySettings) -> None:
        self.holder = SimpleNamespace(state=SimpleNamespace(settings=settings))
        self.hooks = peer_hooks()

    async def __aenter__(self) -> Peers:
        for open_peer, _ in self.hooks:
            await open_peer(self.holder)
        return self

    async def __aexit__(self, *_: object) -> None:
        for _, close_peer in reversed(self.hooks):
            await close_peer(self.holder)


async def _planned(settings: NotifySettings, peers: Peers, as_of: datetime) -> Run:
    """The planner's half of a dispatch: the peers read with no transaction open, then the run and its reminders
    written in one."""
    database = Database(make_engine(settings.resolved_database_url(), pool_size=2))
    state = peers.holder.state
    try:
        asked, not_modified = _pages_asked(peers)
        started = time.perf_counter()
        found = await find_due(database, state.tasks, state.reporting, settings, as_of=as_of)
        async with database.transaction() as conn:
            dispatch_id = await open_run(conn, as_of=as_of, started_at=clock.now(), actor="bench")
            created = await write_due(conn, found, dispatch_id=dispatch_id)
            await count_created(conn, dispatch_id, created)
        seconds, (asked_now, not_modified_now) = time.perf_counter() - started, _pages_asked(peers)
        return Run(created, seconds, found.phases, (asked_now - asked, not_modified_now - not_modified))
    finally:
        await database.dispose()


async def _cold(settings: NotifySettings, as_of: datetime) -> Run:
    async with Peers(settings) as peers:
        return await _planned(settings, peers, as_of)


def planned(runner: asyncio.Runner, run: Coroutine[Any, Any, Run], limit_seconds: float) -> Run | None:
    """A run as notify_api's worker runs it (a batch job: the collector paused); None past the time limit."""
    try:
        with paused_for_batch():
            return runner.run(asyncio.wait_for(run, limit_seconds))
    except TimeoutError:
        return None


async def raw_copy(dsn: str, source: str, *, into_empty: bool) -> float:
    """Seconds a plain COPY takes to write the rows of `source` (the outbox, or the rows set aside) into the outbox
    as it is, or emptied as the catch-up found it; rolled back.

    Into the outbox itself, as the dispatch writes: until 2026-12-06 the catch-up's COPY went into an empty
    temporary copy of the table, which PostgreSQL writes without WAL and in local buffers, 20-25 % less work than
    the same rows into the outbox (measured: 5.3-5.6 s against 6.5-6.8 s for the catch-up's 243,134 rows). The
    outbox is emptied in the COPY's own transaction, so the rollback leaves it as it was (the rows went into the
    TRUNCATE's new files, dropped with it). The day's COPY goes into the outbox's own files: its rows, taken back,
    are dead in the table and its unique indexes, and the day's run, right after it, stepped over each of them; it
    is vacuumed, as autovacuum would (set_aside does the same for the rows it deletes)."""
    columns = ", ".join(OUTBOX_COLUMNS)
    async with connected(dsn) as conn:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "rows.bin"
            try:
                await conn.copy_from_query(f"SELECT {columns} FROM {source}", output=str(path), format="binary")
                async with conn.transaction():
                    if into_empty:
                        await conn.execute("TRUNCATE delivery_attempts, notifications")
                    started = time.perf_counter()
                    await conn.copy_to_table("notifications", source=str(path), columns=OUTBOX_COLUMNS, format="binary")
                    seconds = time.perf_counter() - started
                    raise _RollBack
            except _RollBack:
                if not into_empty:
                    await conn.execute("VACUUM notifications")
                return seconds


class _RollBack(Exception):
    """Leaves the raw COPY's transaction without keeping its rows."""


async def set_aside(dsn: str, count: int) -> None:
    """Delete `count` of the outbox's rows, every n-th by id (spread over deadlines and contacts), keeping them in
    bench_day_rows for the raw COPY."""
    async with connected(dsn) as conn:
        total = await conn.fetchval("SELECT count(*) FROM notifications")
        step = max(1, total // max(count, 1))
        await conn.execute("DROP TABLE IF EXISTS bench_day_rows")
        await conn.execute(
            "CREATE TABLE bench_day_rows AS SELECT * FROM notifications "
            f"WHERE id % {step:d} = 0 ORDER BY id LIMIT {count:d}"
        )
        await _set_aside_again(conn)


async def _set_aside_again(conn: asyncpg.Connection) -> None:
    """The outbox without the day's rows (again, after a day's run wrote them back, under new ids), vacuumed as
    autovacuum would have: a day's outbox holds no deleted rows (until 2026-12-06 it was only analysed)."""
    await conn.execute("DELETE FROM notifications WHERE dedupe_key IN (SELECT dedupe_key FROM bench_day_rows)")
    await conn.execute("VACUUM (ANALYZE) notifications")


async def _execute(dsn: str, sql: str) -> None:
    async with connected(dsn) as conn:
        await conn.execute(sql)


async def _again(dsn: str) -> None:
    async with connected(dsn) as conn:
        await _set_aside_again(conn)


def dispatch_figures(stack: Stack, target: Target, limit_seconds: float, profiler: Profiler) -> list[Figure]:
    """The catch-up on an empty outbox, then a day of DAY_REMINDERS new reminders (fewer on a small data set: half
    the catch-up's) read cold, and again with the catch-up's peer clients, each with its raw COPY."""
    settings, dsn = notify_settings(stack, target), target.dsn("notify_api")
    processes = {"bench": os.getpid(), "tasks_api": stack.tasks.pid, "reporting_api": stack.reporting.pid}
    with asyncio.Runner(loop_factory=loops.loop_factory()) as runner:  # the loop notify_api's worker runs on
        runner.run(_execute(dsn, "TRUNCATE delivery_attempts, notifications, dispatches"))
        peers = runner.run(Peers(settings).__aenter__())
        try:
            with profiler.record("dispatch, catch-up", processes), CpuSeconds.during(processes) as catch_up_cpu:
                catch_up = planned(runner, _planned(settings, peers, DISPATCH_AS_OF), limit_seconds)
            if catch_up is None:
                return _unfinished(DISPATCH_NAMES, limit_seconds)
            copy_all = runner.run(raw_copy(dsn, "notifications", into_empty=True))
            runner.run(set_aside(dsn, min(DAY_REMINDERS, catch_up.created // 2)))
            copy_day = runner.run(raw_copy(dsn, "bench_day_rows", into_empty=False))
            day_as_of = DISPATCH_AS_OF + timedelta(minutes=1)
            with profiler.record("dispatch, a day", processes), CpuSeconds.during(processes) as day_cpu:
                day = planned(runner, _cold(settings, day_as_of), limit_seconds)
            runner.run(_again(dsn))
            with (
                profiler.record("dispatch, a day, peers revalidated", processes),
                CpuSeconds.during(processes) as warm_cpu,
            ):
                warm = planned(runner, _planned(settings, peers, day_as_of + timedelta(minutes=1)), limit_seconds)
        finally:
            runner.run(peers.__aexit__())
            runner.run(_execute(dsn, "DROP TABLE IF EXISTS bench_day_rows"))
    figures: list[Figure] = []
    for name, names, run, copy, cpu in (
        ("a day", DISPATCH_NAMES[:2], day, copy_day, day_cpu),
        ("a day, peers revalidated", DISPATCH_NAMES[2:4], warm, copy_day, warm_cpu),
        ("catch-up", DISPATCH_NAMES[4:], catch_up, copy_all, catch_up_cpu),
    ):
        figures += _unfinished(names, limit_seconds) if run is None else _run_figures(name, run, copy, cpu)
    return figures


def _run_figures(name: str, run: Run, copy_seconds: float, cpu: CpuSeconds) -> list[Figure]:
    p = run.phases
    phases = f"read peers {p.read_peers:.1f} s, plan {p.plan:.1f} s, address {p.address:.1f} s, write {p.write:.1f} s"
    pages = f"{run.pages[1]:,} of {run.pages[0]:,} list pages answered 304"
    return [
        at_most(
            f"dispatch, {name}: time vs raw COPY",
            run.seconds,
            "s",
            COPY_RATIO,
            baseline=copy_seconds,
            note=f"{run.created:,} reminders written; {phases}; {pages}; deliver: the delivery figure; {cpu.note()}",
        ),
        at_most(
            f"dispatch, {name}: reading peers vs writing",
            p.read_peers,
            "s",
            1,
            baseline=p.write,
            note="baseline: the run's own write phase",
        ),
    ]


def _unfinished(names: tuple[str, ...], limit_seconds: float) -> list[Figure]:
    return [
        at_most(name, float("inf"), "s", COPY_RATIO, note=f"not finished within {limit_seconds:.0f} s (rolled back)")
        for name in names
    ]
