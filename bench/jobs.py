"""The job figures: delivering reminders with two dispatcher processes, and the ledger export with its baselines.

Delivery: two bench/deliver_worker.py processes claim and send the outbox (the dispatch figures' rows, or rows
filled in here) to a local receiver that counts every webhook-id; no baseline.

Ledger: plan 1's ledger of a period (100,000 rows at full scale) through reporting_api, as xlsx and as CSV.
- xlsx against xlsxwriter alone: the very rows of the ledger (read back from its CSV, whole numbers as numbers)
  written by xlsxwriter in constant_memory mode with the same headers and widths, timed in this process. It does
  not read anything (no database, no peers) nor build the rows.
- CSV against a raw COPY TO: PostgreSQL writing the period's reports of the plan (the columns the ledger reads of
  them) as CSV. It does not read the plan's items and units from tasks_api, the latest review comments or
  indicator values, nor compute lateness, nor join the rows to the plan's responsibilities.
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

import asyncpg
import httpx
import xlsxwriter

from bench.figures import Figure, at_least, at_most
from bench.generate import Target
from bench.processes import Stack
from bench.profiles import Profiler
from bench.reads import PERIOD, Subjects
from services.common.settings import REPO_ROOT
from services.reporting_api.ledger.service import HEADERS, WIDTHS
from services.reporting_api.oversight.repository import periods_of

DELIVERY_ROWS = 20_000  # the outbox the delivery figure sends when the dispatch wrote none
DELIVERY_RATE = 1_000  # issue 15: deliveries a second with two dispatchers
LEDGER_RATIO = 1.3  # issue 15: the xlsx ≤ 1.3× xlsxwriter alone, the CSV ≤ 1.3× a raw COPY TO


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


def delivery_figures(stack: Stack, target: Target, seconds: float, profiler: Profiler) -> list[Figure]:
    """Two `bench.deliver_worker` processes for at most `seconds`; then the receiver's count against the outbox."""
    if not asyncio.run(_pending(target)):
        asyncio.run(fill_outbox(target.dsn("notify_api"), DELIVERY_ROWS))
    env = {"NOTIFY_API_DATABASE_URL": target.url("notify_api"), "NOTIFY_API_ENVIRONMENT": "test"}
    command = [sys.executable, "-m", "bench.deliver_worker", str(seconds)]
    workers = [
        subprocess.Popen(command, env={**os.environ, **env}, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    with profiler.record("delivery", {f"worker{n}": worker.pid for n, worker in enumerate(workers, start=1)}):
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
            DELIVERY_RATE,
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


def ledger_figures(
    stack: Stack, target: Target, s: Subjects, headers: dict[str, str], profiler: Profiler
) -> list[Figure]:
    """Plan 1's ledger (100,000 rows at full scale) as xlsx and as CSV, each against its baseline."""
    url, params = f"{stack.reporting.url}/v1/plans/{s.plan_id}/ledger", {"period": PERIOD}
    times = {}
    for kind in ("xlsx", "csv"):
        with profiler.record(f"ledger {kind}", {"reporting_api": stack.reporting.pid}):
            started = time.perf_counter()
            response = httpx.get(f"{url}.{kind}", params=params, headers=headers, timeout=600)
            times[kind] = time.perf_counter() - started
        response.raise_for_status()
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    alone = xlsxwriter_alone(rows)
    copy_to = asyncio.run(raw_copy_to(target.dsn("reporting_api"), s.plan_id))
    return [
        at_most(
            "ledger xlsx 100,000 rows: time vs xlsxwriter",
            times["xlsx"],
            "s",
            LEDGER_RATIO,
            baseline=alone,
            note=f"{len(rows):,} rows; baseline: xlsxwriter (constant_memory) writing them",
        ),
        at_most(
            "ledger csv: time vs raw COPY TO",
            times["csv"],
            "s",
            LEDGER_RATIO,
            baseline=copy_to,
            note="baseline: COPY (the period's reports) TO STDOUT CSV",
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


async def raw_copy_to(dsn: str, plan_id: int) -> float:
    """Seconds PostgreSQL takes to COPY the period's reports of the plan (the columns the ledger reads of them) out as
    CSV: the ledger's reports without its plan side from tasks_api, review comments, indicator values or lateness."""
    conn = await asyncpg.connect(dsn)
    try:
        periods = sorted(set(periods_of(PERIOD).values()))
        quoted = ", ".join(f"'{period}'" for period in periods)  # period ids: digits, a dash, a letter
        query = (
            "SELECT id, item_id, unit_id, status, progress, problems, next_steps, percent_complete, self_status, "
            f"submissions, submitted_at, late, days_late FROM reports WHERE plan_id = {plan_id:d} "
            f"AND period IN ({quoted})"
        )
        started = time.perf_counter()
        await conn.copy_from_query(query, output=io.BytesIO(), format="csv", header=True)
        return time.perf_counter() - started
    finally:
        await conn.close()
