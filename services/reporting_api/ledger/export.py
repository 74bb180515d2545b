"""A ledger export as a `ledger.export` job on reporting_api's worker: the worker reads the plan's side from
tasks_api and the rows, writes the file (xlsx writing gets the worker's core, not the API's) and appends it to the
export_chunks table, which the request streams from as the chunks come (common/export_chunks.py).

The request checks what it cheaply can first (the plan exists, the period is the plan's), so those refusals need no
job; the job's own refusals (a ledger over the row bound, tasks_api down) reach the request before its first byte
and are answered as problem documents. With no worker, the request runs the job itself past the grace period."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from anyio import Path as AsyncPath

from services.common.contracts.tasks import TasksClient
from services.common.csv_stream import csv_stream
from services.common.db import Database
from services.common.export_chunks import CHUNK_BYTES, ChunkWriter, discard, next_chunk, stream
from services.common.job_requests import Outcome, problem_of, refusal, started
from services.common.jobs import Job, Kind, enqueue
from services.common.memory import MemoryTrim
from services.common.problems import ProblemError
from services.reporting_api.db import export_chunks, job_queue
from services.reporting_api.ledger import service, sql
from services.reporting_api.ledger.spool import SpooledLedger, open_spooled
from services.reporting_api.ledger.writers import write_xlsx
from services.reporting_api.settings import ReportingSettings

EXPORT = "ledger.export"
Format = Literal["xlsx", "csv"]


@dataclass(frozen=True, slots=True)
class Exporter:
    """What an export runs with: the database and the tasks_api client of an app or a worker."""

    database: Database
    tasks: TasksClient
    # A province's ledger parses and frees ~100 MB (the plan's side, the rows): handed back to the system after it.
    trim: MemoryTrim = field(default_factory=MemoryTrim)


def export_kind(exporter: Exporter) -> Kind:
    """The job kind: run once (its request is waiting; a client asks again)."""
    return Kind(EXPORT, partial(export_job, exporter), max_attempts=1)


async def export_job(exporter: Exporter, job: Job) -> dict[str, int]:
    """Write the ledger the job asks for into its chunks; a problem (413, tasks_api down) refuses the job.

    Where the database copies (PostgreSQL) it writes the rows itself from the plan's side spooled to disk
    (ledger/sql.py); elsewhere the rows are built here from the plan's side in memory (service.ledger_rows)."""
    db, p = exporter.database, job.payload
    ask = {"plan_id": p["plan_id"], "period": p["period"], "unit_id": p["unit_id"]}
    try:
        if db.dialect.copies:
            ledger: service.Ledger | SpooledLedger = await open_spooled(db, exporter.tasks, **ask)
        else:
            ledger = await service.open_ledger(db, exporter.tasks, **ask)
    except ProblemError as problem:
        raise refusal(problem) from problem
    writer = ChunkWriter(db, export_chunks, job_queue, job.id)
    try:
        await _write(db, ledger, p["format"], writer.write)
    finally:
        if isinstance(ledger, SpooledLedger):
            ledger.spool.close()
        exporter.trim.soon()
    return {"chunks": await writer.close()}


async def _write(
    db: Database, ledger: service.Ledger | SpooledLedger, kind: Format, write: Callable[[bytes], Awaitable[None]]
) -> None:
    if isinstance(ledger, SpooledLedger) and kind == "csv":
        await sql.csv_file(db, ledger, write)
        return
    rows = sql.ledger_rows(db, ledger) if isinstance(ledger, SpooledLedger) else service.ledger_rows(db, ledger)
    if kind == "csv":
        async for data in csv_stream(service.HEADERS, rows):
            await write(data)
        return
    # A workbook is a zip: its bytes are known only once it is written whole.
    path = AsyncPath(await write_xlsx(service.HEADERS, rows, title="台账", widths=service.WIDTHS))
    try:
        async with await path.open("rb") as file:
            while data := await file.read(CHUNK_BYTES):
                await write(data)
    finally:
        await path.unlink(missing_ok=True)


async def export(
    exporter: Exporter,
    settings: ReportingSettings,
    *,
    plan_id: int,
    period: str,
    unit_id: int | None,
    kind: Format,
) -> tuple[tuple[str, str], AsyncIterator[bytes]]:
    """The export's file names and its bytes as they come; 404 unknown plan, 422 a period the plan does not have,
    and the job's refusals, all before the first byte."""
    db = exporter.database
    plan, rhythm = await service.plan_rhythm(db, exporter.tasks, plan_id)
    names = service.file_names(plan, rhythm.owed_for(period))
    payload = {"plan_id": plan_id, "period": period, "unit_id": unit_id, "format": kind}
    async with db.transaction() as conn:
        job_id = await enqueue(conn, job_queue, EXPORT, payload)
    first: bytes | Outcome | None = None  # None: the job wrote nothing within the wait
    try:
        await started(
            db,
            job_queue,
            export_kind(exporter),
            job_id,
            grace=settings.job_grace_seconds,
            lease=settings.job_lease_seconds,
        )
        async with asyncio.timeout(settings.job_wait_seconds):
            first = await next_chunk(db, export_chunks, job_queue, job_id, 0)
    except TimeoutError:
        pass
    except BaseException:
        await discard(db, export_chunks, job_queue, job_id)
        raise
    if not isinstance(first, bytes):
        await discard(db, export_chunks, job_queue, job_id)
        raise problem_of(first, work="ledger export")
    return names, stream(db, export_chunks, job_queue, job_id, first)
