"""Load the benchmark data set into the services' PostgreSQL databases, through their own bulk paths.

Plans go through tasks_api's plan import (services/tasks_api/plans/service.import_plan), report history
through reporting_api's history import (services/reporting_api/reports/history.py), and contacts through
notify_api's contact service. Only the ids the history needs are read back from tasks_api's database.

    python -m bench.generate --scale 0.01        # a smoke-sized set
    python -m bench.generate                     # issue 6's provincial scale (scale 1)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.connect import connected
from bench.dataset import Duty, Scale, past_reports, plan_file, plan_sizes, unit_entries
from services.common.auth import Principal, Role
from services.common.db import Database, make_engine
from services.common.migrations import upgrade
from services.common.settings import REPO_ROOT
from services.notify_api.contacts.schemas import ContactCreate
from services.notify_api.contacts.service import add_contact
from services.notify_api.settings import NotifySettings
from services.reporting_api.reports.history import import_past_reports
from services.tasks_api.plans.files.validation import validate_plan_data
from services.tasks_api.plans.service import import_plan

SERVICES = ("tasks_api", "reporting_api", "notify_api")
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
# The local webhook receiver every unit's contact points at. BENCH_RECEIVER_PORT moves it when two runs share the
# machine; a data set's contacts keep the port it was generated with, so a run uses the same setting.
RECEIVER_PORT = int(os.environ.get("BENCH_RECEIVER_PORT", "8790"))
ACTOR = "bench-generate"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a data set lives: one PostgreSQL database per service, named `<prefix>_<service>`."""

    prefix: str = "bench"
    admin_dsn: str = ADMIN_DSN

    def name(self, service: str) -> str:
        return f"{self.prefix}_{service}"

    def url(self, service: str) -> str:
        server = self.admin_dsn.split("://", 1)[1].rsplit("/", 1)[0]
        return f"postgresql+asyncpg://{server}/{self.name(service)}"

    def dsn(self, service: str) -> str:
        return self.url(service).replace("postgresql+asyncpg://", "postgresql://")

    @property
    def marker(self) -> Path:
        return REPO_ROOT / "var" / "bench" / f"{self.prefix}.json"


@dataclass
class LoadReport:
    seed: int
    scale: float
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    async def timed(self, phase: str, step: Callable[[], Awaitable[Any]]) -> Any:
        started = time.perf_counter()
        result = await step()
        self.seconds[phase] = round(time.perf_counter() - started, 2)
        return result

    @property
    def total_seconds(self) -> float:
        return round(sum(self.seconds.values()), 2)


def existing_load(target: Target, seed: int, scale: float) -> LoadReport | None:
    """The marker of a finished load at this seed and scale, if there is one."""
    if not target.marker.exists():
        return None
    data = json.loads(target.marker.read_text())
    if (data["seed"], data["scale"]) != (seed, scale):
        return None
    for service in SERVICES:  # a data set loaded before a later migration gets its tables and indexes
        upgrade(service, target.url(service))
    asyncio.run(analyze(target))  # what a migration rewrote is vacuumed too (cheap where nothing changed)
    return LoadReport(data["seed"], data["scale"], data["seconds"], data["counts"])


async def generate(target: Target, *, seed: int, scale: float, plans: int | None = None) -> LoadReport:
    """Fresh databases at the migration head, then the whole data set; writes the marker when done."""
    target.marker.unlink(missing_ok=True)
    report = LoadReport(seed, scale)
    await report.timed("migrate", lambda: fresh_databases(target))
    databases = {s: Database(make_engine(target.url(s), pool_size=2)) for s in SERVICES}
    try:
        sizes = Scale(scale, plans)
        await report.timed("plans", lambda: load_plans(databases["tasks_api"], sizes, seed, report))
        duties = await report.timed("read_ids", lambda: read_duties(target))
        report.counts["reports"] = await report.timed(
            "reports",
            lambda: import_past_reports(databases["reporting_api"], past_reports(sizes, seed, duties), actor=ACTOR),
        )
        report.counts["contacts"] = await report.timed(
            "contacts", lambda: load_contacts(databases["notify_api"], target, sizes)
        )
        await report.timed("analyze", lambda: analyze(target))
    finally:
        for database in databases.values():
            await database.dispose()
    report.counts.update(await count_rows(target))
    target.marker.parent.mkdir(parents=True, exist_ok=True)
    target.marker.write_text(
        json.dumps({"seed": seed, "scale": scale, "seconds": report.seconds, "counts": report.counts}, indent=2)
    )
    return report


async def drop_databases(target: Target) -> None:
    """Drop the target's databases and forget its load (tests end with this)."""
    target.marker.unlink(missing_ok=True)
    async with connected(target.admin_dsn) as admin:
        for service in SERVICES:
            await admin.execute(f'DROP DATABASE IF EXISTS "{target.name(service)}" WITH (FORCE)')


async def fresh_databases(target: Target) -> None:
    async with connected(target.admin_dsn) as admin:
        for service in SERVICES:
            await admin.execute(f'DROP DATABASE IF EXISTS "{target.name(service)}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{target.name(service)}"')
    for service in SERVICES:
        await asyncio.to_thread(upgrade, service, target.url(service))


async def load_plans(db: Database, sizes: Scale, seed: int, report: LoadReport) -> None:
    units = unit_entries(sizes)
    for number, size in enumerate(plan_sizes(sizes), start=1):
        data = validate_plan_data(plan_file(sizes, seed, number, size, units))
        _, counts = await import_plan(db, plan_file=data, actor=ACTOR)
        for name, count in counts.items():
            report.counts[f"tasks.{name}"] = report.counts.get(f"tasks.{name}", 0) + count


async def read_duties(target: Target) -> list[Duty]:
    """Every responsibility with its item's indicator, in plan and item order."""
    async with connected(target.dsn("tasks_api")) as conn:
        rows = await conn.fetch("""
            SELECT i.plan_id, r.item_id, r.unit_id, r.role, x.id AS indicator_id
            FROM responsibilities r JOIN items i ON i.id = r.item_id JOIN indicators x ON x.item_id = i.id
            ORDER BY i.plan_id, r.item_id, r.position""")
    return [Duty(*row) for row in rows]


async def load_contacts(db: Database, target: Target, sizes: Scale) -> int:
    """A webhook contact for every unit and for the office, all pointing at the local receiver."""
    async with connected(target.dsn("tasks_api")) as conn:
        unit_ids = [row["id"] for row in await conn.fetch("SELECT id FROM units ORDER BY id")]
    settings = NotifySettings(database_url=target.url("notify_api"), environment="test")
    admin = Principal(subject=ACTOR, role=Role.ADMIN)
    owners = [("office", 0)] + [("unit", unit_id) for unit_id in unit_ids]
    for kind, owner_id in owners:
        data = ContactCreate(
            owner_kind=kind,
            owner_id=owner_id,
            channel="webhook",
            target=f"http://127.0.0.1:{RECEIVER_PORT}/hooks/{kind}/{owner_id}",
        )
        await add_contact(db, settings, data=data, actor=admin)  # the owners were read from tasks_api's units
    return len(owners)


async def analyze(target: Target) -> None:
    """VACUUM (ANALYZE) every database: the statistics, and the visibility map and hint bits that autovacuum would
    have set on a production server after a bulk load. Without them (autovacuum may be off on a bench machine) the
    first figures to read a table pay for setting hint bits and for heap fetches an index-only scan would skip."""
    for service in SERVICES:
        async with connected(target.dsn(service)) as conn:
            await conn.execute("VACUUM (ANALYZE)")


async def count_rows(target: Target) -> dict[str, int]:
    tables = {
        "tasks_api": ("plans", "units", "items", "responsibilities", "indicators"),
        "reporting_api": ("reports", "measurements"),
        "notify_api": ("contacts",),
    }
    counts: dict[str, int] = {}
    for service, names in tables.items():
        engine = make_engine(target.url(service), pool_size=1)
        async with engine.connect() as conn:
            for name in names:
                counts[name] = (await conn.execute(text(f"SELECT count(*) FROM {name}"))).scalar_one()
        await engine.dispose()
    return counts


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1 = issue 6's provincial scale")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--prefix", default="bench", help="databases are named <prefix>_<service>")
    parser.add_argument("--admin-dsn", default=ADMIN_DSN)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report = asyncio.run(generate(Target(args.prefix, args.admin_dsn), seed=args.seed, scale=args.scale))
    print(
        json.dumps(
            {"seconds": report.seconds, "total_seconds": report.total_seconds, "counts": report.counts}, indent=2
        )
    )


if __name__ == "__main__":
    main()
