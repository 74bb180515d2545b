"""The ledger export as a `ledger.export` job (ledger/export.py): the same bytes as written in the request, streamed
from export_chunks as the worker appends them, nothing left behind, and a job that breaks answered as a problem."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.common import clock, export_chunks
from services.common.csv_stream import csv_stream
from services.common.db import Database, make_engine
from services.common.memory import MemoryTrim
from services.reporting_api.app import create_app
from services.reporting_api.db import export_chunks as chunks_table
from services.reporting_api.db import job_queue
from services.reporting_api.ledger import service, sql
from services.reporting_api.worker import worker as reporting_worker
from tests.conftest import reporting_settings
from tests.reporting_api.test_ledger import PROBLEM, download, xlsx_rows
from tests.reporting_api.test_reports import file_report, review, submit

Q1 = {"period": "2024-Q1"}


def on_database(url, work):
    async def go():
        database = Database(make_engine(url))
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(go())


def left_behind(client) -> tuple[int, int]:
    """(chunks, jobs) in the service's database."""

    async def count(database):
        async with database.read() as conn:
            chunks = await conn.scalar(select(func.count()).select_from(chunks_table))
            jobs = await conn.scalar(select(func.count()).select_from(job_queue))
            return chunks, jobs

    return on_database(client.app.state.settings.database_url, count)


def csv_written_in_the_request(client, plan_id) -> bytes:
    """The CSV as the request wrote it before the ledger became a job: open_ledger, ledger_rows, csv_stream."""
    state = client.app.state

    async def write():
        ledger = await service.open_ledger(state.database, state.tasks, plan_id=plan_id, period="2024-Q1", unit_id=None)
        return b"".join(
            [chunk async for chunk in csv_stream(service.HEADERS, service.ledger_rows(state.database, ledger))]
        )

    return client.portal.call(write)


def test_the_csv_streams_the_same_bytes_the_request_wrote_and_leaves_nothing_behind(reporting_client, auth, quzhou):
    response = download(reporting_client, auth("office"), quzhou.plan_id, kind="csv")
    assert response.content == csv_written_in_the_request(reporting_client, quzhou.plan_id)
    assert left_behind(reporting_client) == (0, 0)


def test_awkward_cells_stream_the_same_bytes_the_request_wrote(reporting_client, auth, quzhou):
    """On PostgreSQL the CSV is written by the database (ledger/sql.py): numbers, quotes, line breaks inside a
    cell, formulas and blank cells come out as the Python writer writes them."""
    t9, km = quzhou.item("T9")["id"], quzhou.indicator_id("T9-expressway-km")
    for unit, value, text in (("市交通运输局", 0.1 + 0.2, '-1 "引号"\r\n第二行\n'), ("市文旅局", 1e20, "@某人")):
        headers = auth("unit", unit_id=quzhou.unit_id(unit))
        measurement = {"indicator_id": km, "value": value, "as_of": "2024-03-31"}
        content = {"progress": text, "problems": "=SUM(A1)", "measurements": [measurement]}
        report = file_report(reporting_client, headers, t9, **content)
        submit(reporting_client, headers, report["id"])
        assert review(reporting_client, auth, report["id"], "accept", "+1\n“好”,").status_code == 200
    response = download(reporting_client, auth("office"), quzhou.plan_id, kind="csv")
    assert response.content == csv_written_in_the_request(reporting_client, quzhou.plan_id)
    assert "高速公路里程: 0.3 km (2024-03-31)" in response.content.decode()


def test_a_ledger_of_many_chunks_streams_whole_and_each_chunk_is_deleted(reporting_client, auth, quzhou, monkeypatch):
    whole = download(reporting_client, auth("office"), quzhou.plan_id, kind="csv").content
    workbook = xlsx_rows(download(reporting_client, auth("office"), quzhou.plan_id))
    monkeypatch.setattr(export_chunks, "CHUNK_BYTES", 1000)
    assert download(reporting_client, auth("office"), quzhou.plan_id, kind="csv").content == whole
    assert xlsx_rows(download(reporting_client, auth("office"), quzhou.plan_id)) == workbook
    assert left_behind(reporting_client) == (0, 0)


def test_an_export_the_worker_writes_streams_the_same_bytes(reporting_database, tasks_server, auth, quzhou):
    settings = reporting_settings(reporting_database, tasks_server).model_copy(update={"job_grace_seconds": 60.0})

    async def work_until_a_job_ran() -> int:
        async with reporting_worker(settings) as worker:
            for _ in range(200):
                if ran := await worker.run_once():
                    return ran
                await asyncio.sleep(0.05)
        return 0

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        expected = csv_written_in_the_request(client, quzhou.plan_id)
        with ThreadPoolExecutor(1) as pool:
            asked = pool.submit(download, client, auth("office"), quzhou.plan_id, kind="csv")
            assert asyncio.run(work_until_a_job_ran()) == 1
            assert asked.result(timeout=60).content == expected
        assert left_behind(client) == (0, 0)


def test_an_export_job_that_breaks_is_answered_with_a_503_problem_and_leaves_nothing(
    reporting_client, auth, quzhou, monkeypatch
):
    def broken(*args):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(service, "ledger_rows", broken)  # the CSV written in Python
    monkeypatch.setattr(sql, "copy_ledger", broken)  # the CSV written by PostgreSQL
    response = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/ledger.csv", params=Q1, headers=auth("office"))
    assert (response.status_code, response.headers["content-type"]) == (503, PROBLEM)
    assert "disk" not in response.text
    assert left_behind(reporting_client) == (0, 0)


def test_the_sweep_deletes_chunks_older_than_an_hour_only(reporting_client):
    async def work(database):
        now = clock.now()
        async with database.transaction() as conn:
            for job_id, age in ((1, timedelta(hours=2)), (2, timedelta(minutes=5))):
                row = {"job_id": job_id, "seq": 0, "data": b"x", "created_at": now - age}
                await conn.execute(chunks_table.insert().values(**row))
        deleted = await export_chunks.sweep(database, chunks_table)
        async with database.read() as conn:
            return deleted, list(await conn.scalars(select(chunks_table.c.job_id)))

    assert on_database(reporting_client.app.state.settings.database_url, work) == (1, [2])


def test_copy_rows_end_in_crlf_but_a_line_break_inside_a_quoted_cell_stays_wherever_a_chunk_ends():
    data = b'a,"x\n""y""\nz",b\nc,d\n'
    for cut in range(len(data) + 1):
        ends = sql.LineEnds()
        assert ends(data[:cut]) + ends(data[cut:]) == b'a,"x\n""y""\nz",b\r\nc,d\r\n'


def test_an_export_asks_for_the_memory_it_freed_to_be_handed_back(reporting_client, auth, quzhou, monkeypatch):
    asked: list[MemoryTrim] = []
    monkeypatch.setattr(MemoryTrim, "soon", lambda trim: asked.append(trim))
    response = download(reporting_client, auth("office"), quzhou.plan_id, kind="csv")
    assert response.status_code == 200
    assert len(asked) == 1
