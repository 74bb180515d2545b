"""Query plans of the hot requests: which statements a request issues, and where PostgreSQL scans a big table.

`captured(engine)` records every statement an engine runs; `seq_scans(dsn, statements)` EXPLAINs each
SELECT with its parameters and returns the sequential scans on BIG_TABLES. Used by tests/test_query_plans.py
on a generated data set, and by hand on the benchmark's:

    python -m bench.explain            # EXPLAIN the hot requests against the bench_* databases
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from httpx import ASGITransport, AsyncClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.connect import connected
from bench.generate import Target
from bench.reads import PERIOD, Subjects, find_subjects
from services.common import clock
from services.common.auth import mint_token
from services.common.db import Database, make_engine
from services.common.driver_pool import POSTGRESQL_SETTINGS
from services.common.driver_reads import NO_DRIVER_POOL
from services.notify_api.deliveries.jobs import claim
from services.notify_api.settings import NotifySettings
from services.reporting_api.app import create_app as create_reporting_app
from services.reporting_api.settings import ReportingSettings
from services.tasks_api.app import create_app as create_tasks_app
from services.tasks_api.settings import TasksSettings

# The tables that grow with the province's history; a scan of a small table (plans, units, rules) is fine.
BIG_TABLES = frozenset(
    {
        "items",
        "responsibilities",
        "indicators",
        "item_leaders",
        "reports",
        "report_versions",
        "measurements",
        "report_transitions",
        "notifications",
        "delivery_attempts",
    }
)

Statement = tuple[str, Any]


@contextmanager
def captured(engine: AsyncEngine) -> Iterator[list[Statement]]:
    """Every (SQL, parameters) the engine sends while the block runs."""
    found: list[Statement] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        found.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        yield found
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)


def _reads(statements: list[Statement]) -> list[Statement]:
    """The statements worth a plan: reads and claims, not the readiness probes or version checks."""
    wanted = []
    for sql, params in statements:
        text = sql.lstrip().upper()
        if (
            text.startswith(("SELECT", "WITH", "UPDATE"))
            and "ALEMBIC_VERSION" not in text
            and sql.strip() != "SELECT 1"
        ):
            wanted.append((sql, params))
    return wanted


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


async def seq_scans(dsn: str, statements: list[Statement]) -> list[tuple[str, str]]:
    """(table, statement) for every sequential scan of a big table in the plans of `statements`.

    Plain EXPLAIN plans a statement without running it, so an UPDATE (the outbox claim) changes nothing."""
    found = []
    async with connected(dsn, server_settings=POSTGRESQL_SETTINGS) as conn:  # plan as the services' sessions do
        for sql, params in _reads(statements):
            plan = json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *(params or ())))
            found += [
                (node["Relation Name"], " ".join(sql.split())[:200])
                for node in _nodes(plan[0]["Plan"])
                if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES
            ]
    return found


# -- the hot requests -------------------------------------------------------------------------------------

HotStatements = dict[str, list[tuple[str, list[Statement]]]]


async def hot_statements(target: Target, subjects: Subjects) -> HotStatements:
    """The statements of each hot request, per service: both apps in this event loop, tasks_api behind
    reporting_api's client through an in-process transport, so every statement of a request is seen."""
    tasks_app = create_tasks_app(TasksSettings(database_url=target.url("tasks_api"), environment="test"))
    reporting_app = create_reporting_app(
        ReportingSettings(
            database_url=target.url("reporting_api"),
            environment="test",
            tasks_api_url="http://tasks",
            peer_cache_seconds=0,
        ),
        tasks_transport=ASGITransport(tasks_app),
    )
    token = mint_token(TasksSettings(environment="test"), role="office", subject="explain")
    headers = {"Authorization": f"Bearer {token}"}
    # Roll-up, compliance and the ledger read a whole plan's period: plan 2 is a typical plan (a fiftieth of the
    # history). Plan 1 holds half of it, and for half a table a sequential scan is the right plan.
    period = {"period": PERIOD}
    typical = subjects.typical_plan_id
    requests = {
        "items list, unit filter, keyset page": (
            "tasks",
            f"/v1/plans/{subjects.plan_id}/items",
            {"unit_id": subjects.unit_id, "cursor": subjects.unit_deep_cursor},
        ),
        "reports list by plan and period": ("reporting", "/v1/reports", {"plan_id": subjects.plan_id, **period}),
        "roll-up by unit": ("reporting", f"/v1/plans/{typical}/rollups", {"by": "unit", **period}),
        "compliance": ("reporting", f"/v1/plans/{typical}/compliance", period),
        "ledger": ("reporting", f"/v1/plans/{typical}/ledger.csv", period),
    }
    found: HotStatements = {}
    async with tasks_app.router.lifespan_context(tasks_app), reporting_app.router.lifespan_context(reporting_app):
        engines = {"tasks_api": tasks_app.state.database.engine, "reporting_api": reporting_app.state.database.engine}
        # List pages and roll-ups read their rows past the engine, on the driver pool (Database.fetch,
        # services/common/driver_reads.py); without it they send the very same statements through the engine, where
        # `captured` sees them.
        for app in (tasks_app, reporting_app):
            app.state.database.driver_pool = NO_DRIVER_POOL
        clients = {"tasks": tasks_app, "reporting": reporting_app}
        for name, (app, path, params) in requests.items():
            async with AsyncClient(
                transport=ASGITransport(clients[app]), base_url="http://bench", headers=headers
            ) as client:
                with captured(engines["tasks_api"]) as tasks, captured(engines["reporting_api"]) as reporting:
                    (
                        await client.get(path, params={k: v for k, v in params.items() if v is not None})
                    ).raise_for_status()
            found[name] = [("tasks_api", tasks), ("reporting_api", reporting)]
    found["outbox claim"] = [("notify_api", await _claim_statements(target))]
    return found


async def _claim_statements(target: Target) -> list[Statement]:
    settings = NotifySettings(database_url=target.url("notify_api"), environment="test")
    database = Database(make_engine(settings.resolved_database_url(), pool_size=1))
    try:
        with captured(database.engine) as statements:
            await claim(database, settings, now=clock.now(), limit=200)
    finally:
        await database.dispose()
    return statements


async def scans_of_hot_requests(target: Target) -> dict[str, list[tuple[str, str]]]:
    """Request name → the sequential scans of big tables in the plans of its statements."""
    subjects = await find_subjects(target)
    found = {}
    for name, per_service in (await hot_statements(target, subjects)).items():
        found[name] = [
            scan for service, statements in per_service for scan in await seq_scans(target.dsn(service), statements)
        ]
    return found


def main() -> None:
    for name, scans in asyncio.run(scans_of_hot_requests(Target())).items():
        print(f"{name}: {'index only' if not scans else ''}")
        for table, sql in scans:
            print(f"  Seq Scan on {table}: {sql}")


if __name__ == "__main__":
    main()
