"""The read figures: list endpoints against the raw baseline, roll-up and compliance latency, flatness, memory."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg
import httpx

from bench.dataset import PERIODS, plan_key, unit_name
from bench.figures import Figure, at_least, at_most, within
from bench.generate import Target
from bench.load import Load, Throughput, measure, percentile, timings_ms
from bench.processes import Stack
from services.common import clock
from services.common.pagination import encode_cursor

PAGE = 50
DEEP_PAGE = 1000
PERIOD = PERIODS[1]  # a full period: every responsibility reported
LATENCY_SAMPLES = 20

# The statements reporting_api's roll-up runs (oversight/service.py: filed_counts, period_reports with
# lead_only, measurement_points with latest_only), hand-written: the database's share of a roll-up.
ROLLUP_SQL = (
    "SELECT unit_id AS key, status, late, count(*) FROM reports WHERE plan_id = $1 AND period = $2 "
    "GROUP BY unit_id, status, late",
    "SELECT id, item_id, unit_id, status, late, days_late, self_status FROM reports "
    "WHERE plan_id = $1 AND period = $2 AND role = 'lead'",
    "SELECT id, indicator_id, as_of, value FROM (SELECT m.id, m.indicator_id, m.as_of, m.value, row_number() OVER "
    "(PARTITION BY m.indicator_id ORDER BY m.as_of DESC, m.id DESC) AS rank FROM measurements m JOIN report_versions v "
    "ON v.id = m.version_id WHERE m.plan_id = $1 AND m.as_of <= $2 AND (v.outcome IS NULL OR v.outcome != 'returned')"
    ") ranked WHERE rank = 1",
)


@dataclass(frozen=True, slots=True)
class Subjects:
    """What the read figures ask for: plan 1 (the big one), a unit with deep pages, and their cursors."""

    plan_id: int
    typical_plan_id: int
    unit_id: int
    unit_deep_page: int
    unit_deep_cursor: str | None
    items_deep_page: int
    items_deep_cursor: str | None
    reports_deep_page: int
    reports_deep_cursor: str | None


def _deep(ids: list[int], page: int) -> tuple[int, str | None]:
    """The deepest page up to `page` that is full and has a page after it, and the cursor that opens it.

    A last page sends no next cursor and no Link header, so it is cheaper to answer than page 1 whatever its depth;
    a page followed by another is the same work as page 1 but for the depth."""
    page = max(1, min(page, (len(ids) - 1) // PAGE))
    return page, encode_cursor(ids[(page - 1) * PAGE - 1]) if page > 1 else None


async def find_subjects(target: Target) -> Subjects:
    tasks = await asyncpg.connect(target.dsn("tasks_api"))
    reporting = await asyncpg.connect(target.dsn("reporting_api"))
    try:
        plan_id = await tasks.fetchval("SELECT id FROM plans WHERE key = $1", plan_key(1))
        typical_plan_id = await tasks.fetchval("SELECT id FROM plans WHERE key = $1", plan_key(2))
        unit_id = await tasks.fetchval("SELECT id FROM units WHERE name = $1", unit_name(0))
        unit_ids = [
            r[0]
            for r in await tasks.fetch(
                "SELECT i.id FROM items i JOIN responsibilities r ON r.item_id = i.id "
                "WHERE i.plan_id = $1 AND r.unit_id = $2 ORDER BY i.id",
                plan_id,
                unit_id,
            )
        ]
        item_ids = [r[0] for r in await tasks.fetch("SELECT id FROM items WHERE plan_id = $1 ORDER BY id", plan_id)]
        report_ids = [
            r[0]
            for r in await reporting.fetch(
                "SELECT id FROM reports WHERE plan_id = $1 AND period = $2 ORDER BY id", plan_id, PERIOD
            )
        ]
    finally:
        await tasks.close()
        await reporting.close()
    return Subjects(
        plan_id,
        typical_plan_id,
        unit_id,
        *_deep(unit_ids, DEEP_PAGE),
        *_deep(item_ids, DEEP_PAGE),
        *_deep(report_ids, DEEP_PAGE),
    )


def _with(url: str, **params: object) -> str:
    return str(httpx.URL(url, params={k: v for k, v in params.items() if v is not None}))


def throughput_figures(
    name: str, service: Throughput, baseline: Throughput, ratio: float, p99: bool = True
) -> list[Figure]:
    note = f"{service.errors} errors" if service.errors else ""
    found = [at_least(f"{name}: req/s", service.rps, "req/s", ratio, baseline=baseline.rps, note=note)]
    if p99:
        found.append(at_most(f"{name}: p99", service.p99_ms, "ms", 3, baseline=baseline.p99_ms))
    return found


def list_figures(stack: Stack, s: Subjects, headers: dict[str, str], load: Load) -> tuple[list[Figure], dict]:
    """Items and reports lists against the baseline; also returns the throughputs the flatness figures use."""
    items, raw_items = f"{stack.tasks.url}/v1/plans/{s.plan_id}/items", f"{stack.baseline.url}/items"
    reports, raw_reports = f"{stack.reporting.url}/v1/reports", f"{stack.baseline.url}/reports"
    runs = {
        "unit_p1": (
            _with(items, limit=PAGE, unit_id=s.unit_id),
            _with(raw_items, plan_id=s.plan_id, limit=PAGE, unit_id=s.unit_id),
        ),
        "unit_deep": (
            _with(items, limit=PAGE, unit_id=s.unit_id, cursor=s.unit_deep_cursor),
            _with(raw_items, plan_id=s.plan_id, limit=PAGE, unit_id=s.unit_id, cursor=s.unit_deep_cursor),
        ),
        "reports_p1": (
            _with(reports, plan_id=s.plan_id, period=PERIOD, limit=PAGE),
            _with(raw_reports, plan_id=s.plan_id, period=PERIOD, limit=PAGE),
        ),
    }
    measured = {key: (measure(url, headers, load), measure(raw, {}, load)) for key, (url, raw) in runs.items()}
    measured["items_p1"] = (measure(_with(items, limit=PAGE), headers, load), None)
    measured["items_deep"] = (measure(_with(items, limit=PAGE, cursor=s.items_deep_cursor), headers, load), None)
    measured["reports_deep"] = (
        measure(
            _with(reports, plan_id=s.plan_id, period=PERIOD, limit=PAGE, cursor=s.reports_deep_cursor), headers, load
        ),
        None,
    )
    figures = [
        *throughput_figures("items p1, unit filter", *measured["unit_p1"], 0.6),
        *throughput_figures("items deep page, unit filter", *measured["unit_deep"], 0.6),
        *throughput_figures("reports by plan+period", *measured["reports_p1"], 0.5, p99=False),
    ]
    return figures, measured


def flatness_figures(measured: dict, s: Subjects) -> list[Figure]:
    found = []
    for name, first, deep, page in (
        ("items", "items_p1", "items_deep", s.items_deep_page),
        ("reports", "reports_p1", "reports_deep", s.reports_deep_page),
    ):
        p1, pn = measured[first][0].rps, measured[deep][0].rps
        found.append(
            within(
                f"flatness {name} p1 vs deep page", pn, "req/s", 0.2, baseline=p1, note=f"page {page}; baseline: page 1"
            )
        )
    return found


def latency_figures(
    stack: Stack, target: Target, s: Subjects, headers: dict[str, str], samples: int = LATENCY_SAMPLES
) -> list[Figure]:
    """Roll-up and compliance p95 over sequential requests (after one warm-up each), on a typical plan (plan 2, a
    fiftieth of the history); plan 1, half of all history, has the ledger figure."""
    params, plan_id = {"period": PERIOD}, s.typical_plan_id
    with (
        httpx.Client(base_url=stack.reporting.url, headers=headers, timeout=120) as client,
        HandRollup(target.dsn("reporting_api"), plan_id) as hand_sql,
    ):

        def rollup() -> None:
            client.get(f"/v1/plans/{plan_id}/rollups", params={**params, "by": "unit"}).raise_for_status()

        def compliance() -> None:
            client.get(f"/v1/plans/{plan_id}/compliance", params={**params, "limit": PAGE}).raise_for_status()

        rollup(), hand_sql(), compliance()
        rollup_ms, sql_ms = alternating_timings_ms([rollup, hand_sql], samples)
        compliance_p95 = percentile(timings_ms(compliance, samples), 95)
    rollup_p95 = percentile(rollup_ms, 95)
    return [
        at_most(
            "roll-up by unit: p95 vs hand SQL",
            rollup_p95,
            "ms",
            1.5,
            baseline=percentile(sql_ms, 95),
            note="baseline: the roll-up's statements via asyncpg, timed in turn with it",
        ),
        at_most("roll-up by unit: p95", rollup_p95, "ms", 200, note="plan 2"),
        at_most("compliance: p95", compliance_p95, "ms", 300, note="plan 2, first page of 50 rows"),
    ]


def alternating_timings_ms(calls: list[callable], times: int) -> list[list[float]]:
    """Each call's durations in milliseconds, the calls taking turns: the series compared in a ratio then see the
    same moments of the machine (an autovacuum or a checkpoint), not one quiet stretch and one busy one."""
    found: list[list[float]] = [[] for _ in calls]
    for _ in range(times):
        for call, durations in zip(calls, found, strict=True):
            started = time.perf_counter()
            call()
            durations.append((time.perf_counter() - started) * 1000)
    return found


class HandRollup:
    """The roll-up's statements run directly on one asyncpg connection, one blocking call per sample."""

    def __init__(self, dsn: str, plan_id: int) -> None:
        self.dsn, self.plan_id = dsn, plan_id
        # The measured roll-up has no as_of: the service ranks the measurements dated up to today (all of them),
        # not up to the period's due date (two thirds of them), so neither does its hand-written equivalent.
        self.as_of = clock.business_today()

    def __enter__(self) -> HandRollup:
        self.loop = asyncio.new_event_loop()
        self.conn = self.loop.run_until_complete(asyncpg.connect(self.dsn))
        return self

    def __exit__(self, *_: object) -> None:
        self.loop.run_until_complete(self.conn.close())
        self.loop.close()

    def __call__(self) -> None:
        self.loop.run_until_complete(self._once())

    async def _once(self) -> None:
        await self.conn.fetch(ROLLUP_SQL[0], self.plan_id, PERIOD)
        await self.conn.fetch(ROLLUP_SQL[1], self.plan_id, PERIOD)
        await self.conn.fetch(ROLLUP_SQL[2], self.plan_id, self.as_of)


def memory_idle(stack: Stack) -> Figure:
    largest = max(stack.services, key=lambda p: p.memory_mb())
    values = ", ".join(f"{p.name} {p.memory_mb():.0f}" for p in stack.services)
    return at_most("RSS idle (largest service)", largest.memory_mb(), "MB", 150, note=values)


def memory_under_load(stack: Stack) -> Figure:
    peaks = {p.name: p.memory_mb("VmHWM") for p in stack.services}
    values = ", ".join(f"{name} {mb:.0f}" for name, mb in peaks.items())
    return at_most("RSS under read load (largest)", max(peaks.values()), "MB", 300, note=f"peaks: {values}")
