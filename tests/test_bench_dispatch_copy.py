"""The dispatch figures' raw COPY (bench/dispatch.raw_copy) writes where a dispatch writes, the outbox itself with its
WAL, and leaves the outbox as it found it; neither it nor the rows set aside for a day (set_aside) leave dead rows
for the run after them to step over."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bench.connect import connected
from bench.dispatch import raw_copy, set_aside
from services.common.dialect import driver_dsn
from tests.databases import BACKEND, TestDatabases

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="the raw COPY is PostgreSQL's")

ROWS = 2_000
PAYLOAD_CHARS = 1_280  # about a reminder's message, and under the size PostgreSQL would compress a row at
FILL = f"""
INSERT INTO notifications (dedupe_key, purpose, step, recipient_kind, recipient_id, channel, payload, webhook_id,
                           status, attempts, next_attempt_at, created_at)
SELECT 'reminder:' || n, 'reminder', 'due', 'unit', n, 'webhook',
       json_build_object('text', (SELECT string_agg(md5(n::text || ':' || part), '')
                                  FROM generate_series(1, {PAYLOAD_CHARS // 32}) AS part)),
       'msg_' || n, 'pending', 0, now(), now()
FROM generate_series(1, {ROWS}) AS n"""
WAL_POSITION = "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')"
DEAD_ROWS = "SELECT dead_tuple_count FROM pgstattuple('notifications')"
OUTBOX = "SELECT count(*), md5(string_agg(dedupe_key || payload::text, ',' ORDER BY id)) FROM notifications"


@pytest.fixture
def outbox(databases: TestDatabases) -> str:
    """A notify_api database whose outbox holds ROWS reminders; its asyncpg DSN."""
    dsn = driver_dsn(databases.migrated("raw_copy", "notify_api"))
    asyncio.run(_execute(dsn, FILL, "CREATE EXTENSION pgstattuple"))
    return dsn


async def _execute(dsn: str, *statements: str) -> None:
    async with connected(dsn) as conn:
        for statement in statements:
            await conn.execute(statement)


async def _fetchrow(dsn: str, query: str) -> asyncpg.Record:
    async with connected(dsn) as conn:
        return await conn.fetchrow(query)


async def _wal_written_by_copy(dsn: str) -> int:
    """Bytes of WAL the cluster wrote while the catch-up's raw COPY ran (others' writes only add to them)."""
    before = (await _fetchrow(dsn, WAL_POSITION))[0]
    await raw_copy(dsn, "notifications", into_empty=True)
    return int((await _fetchrow(dsn, WAL_POSITION))[0] - before)


def test_the_catch_ups_raw_copy_writes_its_rows_into_the_logged_outbox_as_the_dispatch_does(outbox):
    # A temporary table is written without WAL: the rows' bytes in the WAL show they went into the outbox itself.
    assert asyncio.run(_wal_written_by_copy(outbox)) >= ROWS * PAYLOAD_CHARS


def test_the_catch_ups_raw_copy_leaves_the_outbox_as_it_found_it(outbox):
    before = asyncio.run(_fetchrow(outbox, OUTBOX))
    asyncio.run(raw_copy(outbox, "notifications", into_empty=True))
    assert asyncio.run(_fetchrow(outbox, OUTBOX)) == before


def test_the_rows_set_aside_for_a_day_leave_no_dead_rows_in_the_outbox(outbox):
    asyncio.run(set_aside(outbox, 200))
    assert asyncio.run(_fetchrow(outbox, "SELECT count(*) FROM notifications"))[0] == ROWS - 200
    assert asyncio.run(_fetchrow(outbox, DEAD_ROWS))[0] == 0


def test_the_days_raw_copy_leaves_the_outbox_as_it_found_it_without_dead_rows(outbox):
    asyncio.run(set_aside(outbox, 200))
    before = asyncio.run(_fetchrow(outbox, OUTBOX))
    assert asyncio.run(raw_copy(outbox, "bench_day_rows", into_empty=False)) > 0
    assert asyncio.run(_fetchrow(outbox, OUTBOX)) == before
    assert asyncio.run(_fetchrow(outbox, DEAD_ROWS))[0] == 0
