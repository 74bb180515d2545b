"""The job figures: planning due reminders, delivering them with two dispatcher processes, the ledger export."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import asyncpg
import httpx

from bench.figures import Figure, at_least, at_most
from bench.generate import Target
from bench.processes import Stack
from bench.reads import PERIOD, Subjects
from services.common import clock
from services.common.collector import paused_for_batch
from services.common.db import Database, make_engine
from services.common.settings import REPO_ROOT
from services.notify_api.dispatches.jobs import peer_hooks
from services.notify_api.dispatches.repository import open_run
from services.notify_api.reminders.service import find_due, write_due
from services.notify_api.settings import NotifySettings

# The morning of 2025-01-03: a week before 2024's annual summaries are due (many are missing, by design of the data
# set) while a quarter's worth of item deadlines is overdue: the planner has a full day's work.
DISPATCH_AS_OF = datetime(2025, 1, 3, 1, 0, tzinfo=UTC)
REMINDERS_TARGET = 100_000
DELIVERY_ROWS = 20_000  # the outbox the delivery figure sends when the dispatch wrote none


def notify_settings(stack: Stack, target: Target) -> NotifySettings:
    return NotifySettings(
        database_url=target.url("notify_api"),
        environment="test",
        tasks_api_url=stack.tasks.url,
        reporting_api_url=stack.reporting.url,
        peer_budget_seconds=300,
        peer_timeout_seconds=300,
    )


async def _plan(settings: NotifySettings) -> int:
    """The planner's half of a dispatch (services/notify_api/dispatches/service.run_dispatch): read the peers with
    no transaction open, then write the run and its reminders in one; without the delivery that run_dispatch does
    in-process: the two dispatcher processes below deliver instead."""
    holder = SimpleNamespace(state=SimpleNamespace(settings=settings))
    database = Database(make_engine(settings.resolved_database_url(), pool_size=2))
    hooks = peer_hooks()
    try:
        for open_peer, _ in hooks:
            await open_peer(holder)
        found = await find_due(database, holder.state.tasks, holder.state.reporting, settings, as_of=DISPATCH_AS_OF)
        async with database.transaction() as conn:
            dispatch_id = await open_run(conn, as_of=DISPATCH_AS_OF, started_at=clock.now(), actor="bench")
            return await write_due(conn, found, dispatch_id=dispatch_id)
    finally:
        for _, close_peer in reversed(hooks):
            await close_peer(holder)
        await database.dispose()


async def reset_outbox(target: Target) -> None:
    """Empty the outbox, so that a run on a reused data set starts where a fresh one does."""
    conn = await asyncpg.connect(target.dsn("notify_api"))
    try:
        await conn.execute("TRUNCATE delivery_attempts, notifications, dispatches")
    finally:
        await conn.close()


def dispatch_figure(stack: Stack, target: Target, limit_seconds: float) -> Figure:
    asyncio.run(reset_outbox(target))
    started = time.perf_counter()
    try:
        # As notify_api's worker process runs a dispatch: a batch job, with the collector paused (common/collector.py).
        with paused_for_batch():
            created = asyncio.run(asyncio.wait_for(_plan(notify_settings(stack, target)), limit_seconds))
    except TimeoutError:
        return at_most(
            "dispatch: 100,000 reminders",
            float("inf"),
            "s",
            10,
            note=f"not finished within {limit_seconds:.0f} s (rolled back)",
        )
    seconds = time.perf_counter() - started
    per_target = seconds * REMINDERS_TARGET / max(created, 1)
    return at_most(
        "dispatch: 100,000 reminders",
        per_target,
        "s",
        10,
        note=f"{created:,} reminders computed and written in {seconds:.1f} s (scaled to 100,000)",
    )


async def fill_outbox(dsn: str, rows: int, *, delivered_share: float = 0.0) -> None:
    """`rows` due webhook notifications to the contacts, round robin (the first `delivered_share` of them
    already delivered): the outbox as the planner leaves it, for when the dispatch figure wrote nothing."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            """
            INSERT INTO notifications (dedupe_key, purpose, level, step, payload, recipient_kind, recipient_id,
                contact_id, channel, webhook_id, status, attempts, next_attempt_at, created_at, delivered_at)
            SELECT 'bench:' || n, 'reminder', 'blue', 'before-7', '{"text": "bench"}', c.owner_kind, c.owner_id,
                   c.id, 'webhook', 'msg_bench_' || n,
                   CASE WHEN n <= $2 THEN 'delivered' ELSE 'pending' END, 0, now() - interval '1 minute', now(),
                   CASE WHEN n <= $2 THEN now() END
            FROM generate_series(1, $1) AS n
            JOIN contacts c ON c.id = (SELECT min(id) FROM contacts) + n % (SELECT count(*) FROM contacts)""",
            rows,
            round(rows * delivered_share),
        )
        await conn.execute("ANALYZE notifications")
    finally:
        await conn.close()


def delivery_figures(stack: Stack, target: Target, seconds: float) -> list[Figure]:
    """Two `bench.deliver_worker` processes for at most `seconds`; then the receiver's count against the outbox."""
    if not asyncio.run(_pending(target)):
        asyncio.run(fill_outbox(target.dsn("notify_api"), DELIVERY_ROWS))
    env = {"NOTIFY_API_DATABASE_URL": target.url("notify_api"), "NOTIFY_API_ENVIRONMENT": "test"}
    command = [sys.executable, "-m", "bench.deliver_worker", str(seconds)]
    workers = [
        subprocess.Popen(command, env={**os.environ, **env}, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    elapsed = max(float(worker.communicate()[0].strip().splitlines()[-1]) for worker in workers)
    delivered = asyncio.run(_delivered_ids(target))
    stats = httpx.get(f"{stack.receiver.url}/stats").json()
    received = set(httpx.post(f"{stack.receiver.url}/stats/ids").json())
    lost = len(delivered - received)
    duplicates = stats["received"] - stats["unique"]
    return [
        at_least(
            "delivery, 2 dispatchers: rate",
            len(delivered) / max(elapsed, 1e-3),
            "/s",
            500,
            note=f"{len(delivered):,} delivered in {elapsed:.1f} s",
        ),
        at_most("delivery: duplicates + lost", duplicates + lost, "", 0, note=f"{duplicates} duplicates, {lost} lost"),
    ]


async def _pending(target: Target) -> int:
    conn = await asyncpg.connect(target.dsn("notify_api"))
    try:
        return await conn.fetchval("SELECT count(*) FROM notifications WHERE status = 'pending'")
    finally:
        await conn.close()


async def _delivered_ids(target: Target) -> set[str]:
    """The webhook ids this run delivered (not the rows the figure filled in as delivered already)."""
    conn = await asyncpg.connect(target.dsn("notify_api"))
    try:
        rows = await conn.fetch("SELECT webhook_id FROM notifications WHERE status = 'delivered' AND attempts > 0")
    finally:
        await conn.close()
    return {row[0] for row in rows}


def ledger_figures(stack: Stack, s: Subjects, headers: dict[str, str]) -> list[Figure]:
    reporting = stack.reporting
    before = reporting.memory_mb()
    reporting.reset_peak()
    started = time.perf_counter()
    response = httpx.get(
        f"{reporting.url}/v1/plans/{s.plan_id}/ledger.xlsx", params={"period": PERIOD}, headers=headers, timeout=600
    )
    seconds = time.perf_counter() - started
    response.raise_for_status()
    growth = reporting.memory_mb("VmHWM") - before
    size = f"{len(response.content) / 1e6:.1f} MB workbook"
    return [
        at_most("ledger xlsx 100,000 rows: time", seconds, "s", 20, note=size),
        at_most("ledger xlsx: memory growth", growth, "MB", 100, note=f"RSS before {before:.0f} MB"),
    ]
