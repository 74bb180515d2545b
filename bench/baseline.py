"""The raw baseline: a bare ASGI app (no framework) running the services' list SQL through asyncpg, orjson out.

It is the physical limit issues 6 and 15 measure each list endpoint against. It does what the service does for
the same answer: the same statements (the item page; whether the plan exists only when the page is empty; the
report page), one round trip each, on an asyncpg pool of the same size with the services' session settings, their
release (no session reset) and their fair turn for a connection (driver_pool.FairPool), the records made dicts as
the services make them (records.plain_records: until 2026-12-06 dict(row), 20-30 µs more a page) and encoded with
orjson, the body framed by its Content-Length as the services frame theirs (until 2026-12-05 it went chunked). It
does not route, authenticate, validate the query, check a unit token's scope, build Link headers or the services'
opaque cursors, log, or count. Served by uvicorn like the services:

    BENCH_TASKS_DSN=postgresql://… BENCH_REPORTING_DSN=postgresql://… uvicorn bench.baseline:app --port 8799
    GET /items?plan_id=1&unit_id=7&limit=50&cursor=123    the item list of tasks_api, keyset by id
    GET /reports?plan_id=1&period=2024-H1&limit=50         the report list of reporting_api, keyset by id
"""

from __future__ import annotations

import base64
import os
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import orjson

from services.common.driver_pool import SESSION, FairPool, keep_session
from services.common.records import plain_records

# The statements services/tasks_api/items/service.list_items issues: the page, and only when it is empty whether the
# plan exists (a row of the plan proves it does).
PLAN_EXISTS = "SELECT id FROM plans WHERE id = $1"
ITEMS_PAGE = """
SELECT id, plan_id, parent_id, key, kind, number, title, text, starts_on, due_on, original_due_on, status,
       closed_on, closeout_request_id, reopen_reason, position, version
FROM items
WHERE plan_id = $1 AND id IN (SELECT item_id FROM responsibilities WHERE unit_id = $2 AND item_id > $3)
  AND id > $3
ORDER BY id LIMIT $4"""
# Without a unit filter the service's statement has no IN (services/tasks_api/items/pages.py builds one per set of
# filters), and so neither has the baseline's.
ITEMS_PAGE_ANY_UNIT = """
SELECT id, plan_id, parent_id, key, kind, number, title, text, starts_on, due_on, original_due_on, status,
       closed_on, closeout_request_id, reopen_reason, position, version
FROM items
WHERE plan_id = $1 AND id > $2
ORDER BY id LIMIT $3"""
# The statement services/reporting_api/reports/service.list_reports issues for an office token: ReportPublic's
# columns (not the table's three more), the JSON ones as their stored text (reports/pages.py LIST_COLUMNS).
REPORTS_PAGE = """
SELECT id, plan_id, item_id, unit_id, period, role, report_type, status, progress, achievements, problems,
       next_steps, percent_complete, self_status, CAST(measurements AS TEXT) AS measurements,
       CAST(attachments AS TEXT) AS attachments, submissions, first_submitted_at, submitted_at, due_on, late,
       days_late, created_by, created_at, updated_at, version
FROM reports
WHERE plan_id = $1 AND period = $2 AND id > $3
ORDER BY id LIMIT $4"""

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Baseline:
    """Two pools (tasks_api's and reporting_api's databases) and two routes."""

    def __init__(self) -> None:
        self.pools: dict[str, FairPool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        if scope["path"] == "/items":
            body = await self.items(query)
        elif scope["path"] == "/reports":
            body = await self.reports(query)
        else:
            body = None
        status, body = (200, body) if body is not None else (404, b"{}")
        # Framed by its length as the services' pages are (without it uvicorn sends the body chunked).
        headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                size = int(os.environ.get("BENCH_POOL_SIZE", "10"))
                for name in ("TASKS", "REPORTING"):
                    # The services' session options (their settings, so that both sides get the same query plans, and
                    # their records: driver_pool.SESSION) and their pool's release: no session reset
                    # (driver_pool.keep_session), one round trip fewer.
                    pool = await asyncpg.create_pool(
                        os.environ[f"BENCH_{name}_DSN"], min_size=1, max_size=size, reset=keep_session, **SESSION
                    )
                    self.pools[name] = FairPool(pool)  # connections in the order asked, as the services
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for pool in self.pools.values():
                    await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def items(self, query: dict[str, str]) -> bytes | None:
        plan_id, limit, after = int(query["plan_id"]), int(query.get("limit", 50)), _after(query)
        unit_id = int(query["unit_id"]) if "unit_id" in query else None
        async with self.pools["TASKS"].acquire() as conn:
            if unit_id is None:
                rows = await conn.fetch(ITEMS_PAGE_ANY_UNIT, plan_id, after, limit + 1)
            else:
                rows = await conn.fetch(ITEMS_PAGE, plan_id, unit_id, after, limit + 1)
            if not rows and await conn.fetchval(PLAN_EXISTS, plan_id) is None:
                return None
        return _page(rows, limit)

    async def reports(self, query: dict[str, str]) -> bytes:
        limit = int(query.get("limit", 50))
        async with self.pools["REPORTING"].acquire() as conn:
            rows = await conn.fetch(REPORTS_PAGE, int(query["plan_id"]), query["period"], _after(query), limit + 1)
        return _page(rows, limit, json_columns=("measurements", "attachments"))


def _after(query: dict[str, str]) -> int:
    """The keyset cursor: the services' opaque encoding of the last id, or the id itself."""
    cursor = query.get("cursor")
    if cursor is None:
        return 0
    return (
        int(cursor) if cursor.isdigit() else orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    )


def _page(rows: list[asyncpg.Record], limit: int, json_columns: tuple[str, ...] = ()) -> bytes:
    data = plain_records(rows[:limit])  # as the services make dicts of records (until 2026-12-06: dict(row), slower)
    for row in data:
        for column in json_columns:  # asyncpg hands json columns over as text
            row[column] = orjson.Fragment(row[column])
    next_cursor = data[-1]["id"] if len(rows) > limit else None
    return orjson.dumps({"data": data, "next_cursor": next_cursor})


app = Baseline()
