"""The list figures: every list endpoint against the raw baseline (bench/baseline.py), and their flatness.

Each list is measured with wrk in turns with its raw baseline (bench/load.in_turns: three turns each, the raw first,
each side the median of its turns), with the same plan, filter, page size and cursor; the ratio of the two is the
figure (the machine's speed cancels out). Page 1 and a deep page (page 1,000 at full scale, or the deepest full page
there is) are measured alike, in the same rounds of turns, and compared for the flatness figures.

Flatness over the data's size (issue 15: 1× to 10× data): page 1 of the same list on plan 2, a typical plan, is
measured in the same rounds as page 1 on plan 1, the province-wide plan of the same data set: the same statement,
page size and answer size, over a plan many times as big (at scale 1, 49× the items and 25× a period's reports; at
scale 0.2, 9× and 4.5×, as plan 1 has two units an item and the others four). The figure's note gives the counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bench.connect import connected
from bench.dataset import PERIODS, plan_key, unit_name
from bench.figures import Figure, at_least, at_most, within
from bench.generate import Target
from bench.load import Load, Probe, Throughput, in_turns
from bench.processes import Stack
from bench.profiles import Profiler
from services.common.pagination import encode_cursor

PAGE = 50
DEEP_PAGE = 1000
PERIOD = PERIODS[1]  # a full period: every responsibility reported
# Issue 15's targets: items ≥ 0.8× the raw req/s, reports ≥ 0.7×, every p99 ≤ 2× the raw p99, page 1,000 within 15 %.
ITEMS_RATIO, REPORTS_RATIO, P99_RATIO, FLATNESS = 0.8, 0.7, 2, 0.15


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
    plan_ids: tuple[int, ...]  # every plan, in the order of their keys (plan 1 first)
    items_by_size: tuple[int, int]  # the items of plan 1 and of the typical plan
    reports_by_size: tuple[int, int]  # their reports of PERIOD


def _deep(ids: list[int], page: int) -> tuple[int, str | None]:
    """The deepest page up to `page` that is full and has a page after it, and the cursor that opens it.

    A last page sends no next cursor and no Link header, so it is cheaper to answer than page 1 whatever its depth;
    a page followed by another is the same work as page 1 but for the depth."""
    page = max(1, min(page, (len(ids) - 1) // PAGE))
    return page, encode_cursor(ids[(page - 1) * PAGE - 1]) if page > 1 else None


async def find_subjects(target: Target) -> Subjects:
    async with connected(target.dsn("tasks_api")) as tasks, connected(target.dsn("reporting_api")) as reporting:
        plan_id = await tasks.fetchval("SELECT id FROM plans WHERE key = $1", plan_key(1))
        typical_plan_id = await tasks.fetchval("SELECT id FROM plans WHERE key = $1", plan_key(2))
        plan_ids = tuple(r[0] for r in await tasks.fetch("SELECT id FROM plans ORDER BY key"))
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
        typical_items = await tasks.fetchval("SELECT count(*) FROM items WHERE plan_id = $1", typical_plan_id)
        typical_reports = await reporting.fetchval(
            "SELECT count(*) FROM reports WHERE plan_id = $1 AND period = $2", typical_plan_id, PERIOD
        )
    return Subjects(
        plan_id,
        typical_plan_id,
        unit_id,
        *_deep(unit_ids, DEEP_PAGE),
        *_deep(item_ids, DEEP_PAGE),
        *_deep(report_ids, DEEP_PAGE),
        plan_ids,
        (len(item_ids), typical_items),
        (len(report_ids), typical_reports),
    )


def _with(url: str, **params: object) -> str:
    return str(httpx.URL(url, params={k: v for k, v in params.items() if v is not None}))


def throughput_figures(name: str, service: Throughput, baseline: Throughput, ratio: float) -> list[Figure]:
    """Requests a second against the raw baseline's (issue 15: items ≥ 0.8×, reports ≥ 0.7×), and the p99 against
    the raw p99 (every list ≤ 2×)."""
    note = f"{service.errors} errors" if service.errors else ""
    return [
        at_least(f"{name}: req/s", service.rps, "req/s", ratio, baseline=baseline.rps, note=note),
        at_most(f"{name}: p99", service.p99_ms, "ms", P99_RATIO, baseline=baseline.p99_ms),
    ]


def list_runs(tasks: str, reporting: str, raw: str, s: Subjects) -> dict[str, tuple[str, str]]:
    """Each list figure's (service URL, raw baseline URL) for the services and baseline at these base URLs: the same
    plan, filter, page size and cursor."""
    items, raw_items = f"{tasks}/v1/plans/{s.plan_id}/items", f"{raw}/items"
    reports, raw_reports = f"{reporting}/v1/reports", f"{raw}/reports"
    unit, report = {"limit": PAGE, "unit_id": s.unit_id}, {"plan_id": s.plan_id, "period": PERIOD, "limit": PAGE}
    return {
        "items p1, unit filter": (_with(items, **unit), _with(raw_items, plan_id=s.plan_id, **unit)),
        "items deep page, unit filter": (
            _with(items, **unit, cursor=s.unit_deep_cursor),
            _with(raw_items, plan_id=s.plan_id, **unit, cursor=s.unit_deep_cursor),
        ),
        "items p1": (_with(items, limit=PAGE), _with(raw_items, plan_id=s.plan_id, limit=PAGE)),
        "items deep page": (
            _with(items, limit=PAGE, cursor=s.items_deep_cursor),
            _with(raw_items, plan_id=s.plan_id, limit=PAGE, cursor=s.items_deep_cursor),
        ),
        "reports by plan+period": (_with(reports, **report), _with(raw_reports, **report)),
        "reports deep page": (
            _with(reports, **report, cursor=s.reports_deep_cursor),
            _with(raw_reports, **report, cursor=s.reports_deep_cursor),
        ),
    }


Measured = dict[str, tuple[Throughput, Throughput]]
# The lists measured again on the typical plan (1× data) right after plan 1 (10× or more), for the size flatness.
SIZE_RUNS = {"items p1": "items p1, typical plan", "reports by plan+period": "reports by plan+period, typical plan"}


def typical_plan_url(url: str, s: Subjects) -> str:
    """The same request on the typical plan instead of plan 1 (in the path for items, in the query for reports)."""
    plan, typical = str(s.plan_id), str(s.typical_plan_id)
    parsed = httpx.URL(url)
    path = parsed.path.replace(f"/plans/{plan}/", f"/plans/{typical}/")
    params = {k: (typical if k == "plan_id" else v) for k, v in parsed.params.multi_items()}
    return str(parsed.copy_with(path=path, params=params))


# The lists measured in the same rounds of turns (load.in_turns): those a flatness figure compares, together.
TURN_GROUPS = (
    ("items p1, unit filter", "items deep page, unit filter"),
    ("items p1", "items deep page"),
    ("reports by plan+period", "reports deep page"),
)


def list_figures(
    stack: Stack, s: Subjects, headers: dict[str, str], load: Load, profiler: Profiler
) -> tuple[list[Figure], Measured]:
    """Every list against the raw baseline, in turns with it and with the lists of its group (TURN_GROUPS, and a
    list's run on the typical plan: SIZE_RUNS); also returns the throughputs the flatness figures use."""
    runs = list_runs(stack.tasks.url, stack.reporting.url, stack.baseline.url, s)
    measured: Measured = {}
    for names in TURN_GROUPS:
        probes = {name: Probe(runs[name][0], headers, runs[name][1]) for name in names}
        for name in filter(SIZE_RUNS.__contains__, names):  # the same list on the typical plan, in order
            url, raw = runs[name]
            probes[SIZE_RUNS[name]] = Probe(typical_plan_url(url, s), headers, typical_plan_url(raw, s))
        process = stack.tasks if names[0].startswith("items") else stack.reporting
        with profiler.record(", ".join(names), {process.name: process.popen.pid}):
            measured.update(zip(probes, in_turns(list(probes.values()), load), strict=True))
    figures = [
        figure
        for name, (service, baseline) in measured.items()
        if name not in SIZE_RUNS.values()
        for figure in throughput_figures(
            name, service, baseline, ITEMS_RATIO if name.startswith("items") else REPORTS_RATIO
        )
    ]
    return figures, measured


def flatness_figures(measured: Measured, s: Subjects) -> list[Figure]:
    found = []
    for name, first, deep, page in (
        ("items", "items p1", "items deep page", s.items_deep_page),
        ("reports", "reports by plan+period", "reports deep page", s.reports_deep_page),
    ):
        p1, pn = measured[first][0].rps, measured[deep][0].rps
        found.append(
            within(
                f"flatness {name} p1 vs deep page",
                pn,
                "req/s",
                FLATNESS,
                baseline=p1,
                note=f"page {page}; baseline: page 1; {_per_raw(measured[deep], measured[first])}",
            )
        )
    for name, big, (rows, typical_rows) in (
        ("items", "items p1", s.items_by_size),
        ("reports", "reports by plan+period", s.reports_by_size),
    ):
        found.append(
            within(
                f"flatness {name} 1× vs 10× data",
                measured[big][0].rps,
                "req/s",
                FLATNESS,
                baseline=measured[SIZE_RUNS[big]][0].rps,
                note=f"page 1 on plan 1 ({rows:,} rows) vs typical plan ({typical_rows:,}): "
                f"{rows / max(typical_rows, 1):.1f}× the rows; baseline: typical plan; "
                f"{_per_raw(measured[big], measured[SIZE_RUNS[big]])}",
            )
        )
    return found


def _per_raw(value: tuple[Throughput, Throughput], baseline: tuple[Throughput, Throughput]) -> str:
    """Each side's req/s against the raw baseline measured just before it: a busy moment of a shared machine shows
    in both, where a page or a plan that costs more shows in the service's alone."""
    return f"per raw: {value[0].rps / value[1].rps:.2f}× vs {baseline[0].rps / baseline[1].rps:.2f}×"
