"""The job figures: delivering reminders with two dispatcher processes, and the ledger export with its baselines.

Delivery: two bench/deliver_worker.py processes claim and send the outbox (the dispatch figures' rows, or rows
filled in here) to a local receiver that counts every webhook-id; no baseline.

Ledger: plan 1's ledger of a period (100,000 rows at full scale) through reporting_api, as xlsx and as CSV.
- xlsx against xlsxwriter alone: the very rows of the ledger (read back from its CSV, whole numbers as numbers)
  written by xlsxwriter in constant_memory mode with the same headers and widths, timed in this process. It does
  not read anything (no database, no peers) nor build the rows.
- CSV against a raw COPY TO of the same rows: the plan's side read from tasks_api's three lists as the service reads
  them (the same pages, 500 rows each, the three lists side by side) with plain httpx and orjson, then the service's
  own statements run as it runs them (ledger/sql.py, on a connection of this process): the plan's side as the service
  spools it (ledger/spool.py) COPYed into temporary tables, and one COPY (the join with the reports, latest review
  comments and indicator values, the cells in the ledger's words) TO STDOUT as CSV. Its rows are checked to be the
  ledger's. It does not validate the peer's records, decide which items owe the period nor spool the cells (it takes
  the files the service's own read spooled, before the clock starts), run as a job, pass through export_chunks or
  HTTP, nor turn COPY's line ends into CRLF.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
import xlsxwriter

from bench.connect import connected
from bench.figures import Figure, at_least, at_most
from bench.generate import Target
from bench.processes import Stack
from bench.profiles import Profiler
from bench.reads import PERIOD, Subjects
from services.common import loops
from services.common.contracts.tasks import TasksClient
from services.common.db import Database, make_engine
from services.common.http import ServiceClient
from services.common.settings import REPO_ROOT
from services.reporting_api.ledger import sql
from services.reporting_api.ledger.service import HEADERS, WIDTHS
from services.reporting_api.ledger.spool import open_spooled

DELIVERY_ROWS = 20_000  # the outbox the delivery figure sends when the dispatch wrote none
DELIVERY_RATE = 1_000  # issue 15: deliveries a second with two dispatchers
LEDGER_RATIO = 1.3  # issue 15: the xlsx ≤ 1.3× xlsxwriter alone, the CSV ≤ 1.3× a raw COPY TO


async def fill_outbox(dsn: str, rows: int, *, delivered_share: float = 0.0) -> None:
    """`rows` due webhook notifications to the contacts, round robin (the first `delivered_share` of them
    already delivered): the outbox as the planner leaves it, for when the dispatch figure wrote nothing."""
    async with connected(dsn) as conn:
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


def delivery_figures(stack: Stack, target: Target, seconds: float, profiler: Profiler) -> list[Figure]:
    """Two `bench.deliver_worker` processes for at most `seconds`; then the receiver's count against the outbox."""
    if not asyncio.run(_pending(target)):
        asyncio.run(fill_outbox(target.dsn("notify_api"), DELIVERY_ROWS))
    before = asyncio.run(_delivered_ids(target))  # an earlier run's, on a data set reused: not this figure's
    env = {"NOTIFY_API_DATABASE_URL": target.url("notify_api"), "NOTIFY_API_ENVIRONMENT": "test"}
    command = [sys.executable, "-m", "bench.deliver_worker", str(seconds)]
    workers = [
        subprocess.Popen(command, env={**os.environ, **env}, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    with profiler.record("delivery", {f"worker{n}": worker.pid for n, worker in enumerate(workers, start=1)}):
        elapsed = max(float(worker.communicate()[0].strip().splitlines()[-1]) for worker in workers)
    delivered = asyncio.run(_delivered_ids(target)) - before
    stats = httpx.get(f"{stack.receiver.url}/stats").json()
    received = set(httpx.post(f"{stack.receiver.url}/stats/ids").json())
    lost = len(delivered - received)
    duplicates = stats["received"] - stats["unique"]
    return [
        at_least(
            "delivery, 2 dispatchers: rate",
            len(delivered) / max(elapsed, 1e-3),
            "/s",
            DELIVERY_RATE,
            note=f"{len(delivered):,} delivered in {elapsed:.1f} s",
        ),
        at_most("delivery: duplicates + lost", duplicates + lost, "", 0, note=f"{duplicates} duplicates, {lost} lost"),
    ]


async def _pending(target: Target) -> int:
    async with connected(target.dsn("notify_api")) as conn:
        return await conn.fetchval("SELECT count(*) FROM notifications WHERE status = 'pending'")


async def _delivered_ids(target: Target) -> set[str]:
    """The webhook ids delivered by a worker (not the rows the figure filled in as delivered already)."""
    async with connected(target.dsn("notify_api")) as conn:
        rows = await conn.fetch("SELECT webhook_id FROM notifications WHERE status = 'delivered' AND attempts > 0")
    return {row[0] for row in rows}


def ledger_figures(
    stack: Stack, target: Target, s: Subjects, headers: dict[str, str], profiler: Profiler
) -> list[Figure]:
    """Plan 1's ledger (100,000 rows at full scale) as xlsx and as CSV, each against its baseline."""
    url, params = f"{stack.reporting.url}/v1/plans/{s.plan_id}/ledger", {"period": PERIOD}
    times, memory = {}, {}
    for kind in ("xlsx", "csv"):
        before = stack.reporting.memory_mb()
        stack.reporting.reset_peak()
        with profiler.record(f"ledger {kind}", {"reporting_api": stack.reporting.pid}):
            started = time.perf_counter()
            response = httpx.get(f"{url}.{kind}", params=params, headers=headers, timeout=600)
            times[kind] = time.perf_counter() - started
        response.raise_for_status()
        peak, after = stack.reporting.memory_mb("VmHWM"), stack.reporting.memory_mb()
        memory[kind] = f"reporting_api {before:.0f} MB before, peak {peak:.0f}, after {after:.0f}"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    alone = xlsxwriter_alone(rows)
    copy_to, copied = loops.run(raw_copy_to(stack, target, s.plan_id, headers))  # the loop the service runs on
    if list(csv.reader(io.StringIO(copied.decode()))) != rows:
        raise AssertionError("the raw COPY TO's rows are not the ledger's")
    return [
        at_most(
            "ledger xlsx 100,000 rows: time vs xlsxwriter",
            times["xlsx"],
            "s",
            LEDGER_RATIO,
            baseline=alone,
            note=f"{len(rows):,} rows; baseline: xlsxwriter (constant_memory) writing them; {memory['xlsx']}",
        ),
        at_most(
            "ledger csv: time vs raw COPY TO",
            times["csv"],
            "s",
            LEDGER_RATIO,
            baseline=copy_to,
            note=f"baseline: the plan's pages (httpx), COPY in, COPY (the join) TO STDOUT CSV; {memory['csv']}",
        ),
    ]


def _cell(text: str) -> str | int:
    """A CSV cell as the ledger's row held it: the whole numbers (days late, percent complete) as numbers."""
    return int(text) if text.isdigit() else text


def xlsxwriter_alone(rows: list[list[str]]) -> float:
    """Seconds xlsxwriter takes to write `rows` (the ledger's own, from its CSV) under the ledger's headers and
    widths, as the ledger did before it wrote SpreadsheetML itself: constant_memory, a row at a time."""
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        workbook = xlsxwriter.Workbook(str(Path(directory) / "alone.xlsx"), {"constant_memory": True})
        sheet = workbook.add_worksheet("台账")
        for column, width in enumerate(WIDTHS):
            sheet.set_column(column, column, width)
        sheet.write_row(0, 0, HEADERS)
        for n, row in enumerate(rows, start=1):
            sheet.write_row(n, 0, [_cell(cell) for cell in row])
        workbook.close()
        return time.perf_counter() - started


async def raw_copy_to(stack: Stack, target: Target, plan_id: int, headers: dict[str, str]) -> tuple[float, bytes]:
    """Seconds to read the plan's side from tasks_api raw and COPY the ledger's rows out of PostgreSQL as CSV (the
    module's docstring says what is left out), and the CSV."""
    database = Database(make_engine(target.url("reporting_api"), pool_size=1))
    token = headers["Authorization"].removeprefix("Bearer ")
    # The peer budget the bench gives the services (bench/processes.py): plan 1 takes longer than the default 5 s.
    client = ServiceClient(stack.tasks.url, lambda: token, peer="tasks_api", timeout=300, budget=300)
    output = io.BytesIO()

    async def sink(data: bytes) -> None:
        output.write(data)

    try:
        ledger = await open_spooled(database, TasksClient(client), plan_id=plan_id, period=PERIOD, unit_id=None)
        try:
            started = time.perf_counter()
            await _raw_plan_side(stack.tasks.url, plan_id, headers)
            async with database.transaction() as conn:
                await sql.copy_ledger(conn, ledger, sink)
            return time.perf_counter() - started, output.getvalue()
        finally:
            ledger.spool.close()
    finally:
        await client.aclose()
        await database.dispose()


async def _raw_plan_side(url: str, plan_id: int, headers: dict[str, str]) -> int:
    """The plan's assignments, items and indicators as the service pages them (the three lists side by side, as
    ledger/service.side_by_side reads them), decoded but not validated."""
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=600) as client:

        async def pages(kind: str) -> int:
            rows, params = 0, dict[str, str | int](limit=500)
            while True:
                page = orjson.loads((await client.get(f"/v1/plans/{plan_id}/{kind}", params=params)).content)
                rows += len(page["data"])
                if not page.get("next_cursor"):
                    return rows
                params["cursor"] = page["next_cursor"]

        return sum(await asyncio.gather(*map(pages, ("assignments", "items", "indicators"))))
