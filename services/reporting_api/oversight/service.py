"""Oversight: the four views of a period (compliance, roll-ups, traffic lights, indicator progress).

The rules are pure functions in compliance.py, lights.py, indicators.py and rollups.py; this module reads the plan
from tasks_api first (inputs.py), then report data from our database (repository.py), scopes it to the caller and
hands it over. `oversight_of` returns all four views of a period at once, as JSON, for a closed period's snapshot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal, Role
from services.common.contracts.tasks import Assignment, TasksClient
from services.common.db import Database
from services.common.driver_reads import Rows, read_all, reading
from services.common.json import render
from services.common.problems import NotFound
from services.common.records import plain_rows
from services.reporting_api.oversight.compliance import (
    CompliancePages,
    compliance_pages,
    compliance_rows,
    compliance_summary,
    owed_obligations,
)
from services.reporting_api.oversight.indicators import plan_indicator_progress
from services.reporting_api.oversight.inputs import PeriodView, PlanOversight, load_grouping, load_plan, period_view
from services.reporting_api.oversight.lights import earliest_answer_dates, light_counts, traffic_lights
from services.reporting_api.oversight.memo import InputMemo
from services.reporting_api.oversight.progress import accepted_statement, progress_of_items
from services.reporting_api.oversight.repository import (
    as_filed,
    by_indicator,
    by_pair,
    duty_rows,
    filed_counts,
    filed_counts_statement,
    light_reads,
    measurement_points,
    period_reports,
    period_reports_read,
    periods_of,
)
from services.reporting_api.oversight.rollups import BY, FILED_KEY, rollup
from services.reporting_api.oversight.schemas.rows import (
    ComplianceEntry,
    IndicatorEntry,
    IndicatorView,
    LightEntry,
    LightsView,
    ObligationView,
    PeriodOversight,
    PointsByIndicator,
    ReportsByPair,
    RollupView,
)
from services.reporting_api.periods.obligations import obligations_of, owing_periods
from services.reporting_api.periods.service import plan_rules, rhythm_of

# -- scope ----------------------------------------------------------------------------------------------


def items_of_unit(assignments: Iterable[Assignment], unit_id: int) -> set[int]:
    return {a.item_id for a in assignments if a.unit_id == unit_id}


# -- the four views ---------------------------------------------------------------------------------------


def _progress(view: PeriodView, points: PointsByIndicator) -> list[IndicatorEntry]:
    return plan_indicator_progress(
        view.data.indicators, points, plan_start=view.data.plan.starts_on, margin=view.rules["indicator_margin"]
    )


def _lights(
    view: PeriodView, lead_reports: ReportsByPair, progress: list[IndicatorEntry], accepted: Rows, duties: Rows
) -> list[LightEntry]:
    return traffic_lights(
        view.data.items,
        view.data.assignments,
        lead_reports,
        progress,
        due_on=view.due_on,
        today=view.today,
        due_soon_days=view.rules["due_soon_days"],
        progress_status=progress_of_items(view.data.items, accepted),
        owing=view.owing,
        duties=earliest_answer_dates(duties),
    )


def _compliance_rows(view: PeriodView, filed: ReportsByPair, unit_id: int | None = None) -> list[ComplianceEntry]:
    """What answers for the period (obligations_of) with the state of each report."""
    assignments = [a for a in view.data.assignments if unit_id is None or a.unit_id == unit_id]
    obligations = obligations_of(view.rhythm, view.period, view.data.items, assignments, filed)
    return compliance_rows(view.data.items, obligations, filed, today=view.today)


def _not_owed(view: PeriodView) -> set[int]:
    """The items that owe no report for the period (their cadence, end date or close-out): a roll-up still shows
    their lights, but expects nothing of them."""
    return {item.id for item in view.data.items} - view.owing


async def compliance(
    db: Database,
    tasks: TasksClient,
    *,
    plan_id: int,
    period: str,
    today: date,
    principal: Principal,
    unit_id: int | None,
    state: str | None,
) -> CompliancePages:
    """Every expected pair of the period (a unit token: its own), the summary, then the `state` filter; the rows are
    built a page at a time (CompliancePages)."""
    unit_id = principal.scoped_unit(unit_id)
    data = await load_plan(tasks, plan_id)
    async with db.read() as conn:
        view = await period_view(conn, data, period, today)
        (rows,) = await read_all(db, conn, [period_reports_read(plan_id, period, unit_id=unit_id)])
    filed = by_pair(rows)
    assignments = [a for a in data.assignments if unit_id is None or a.unit_id == unit_id]
    obligations = obligations_of(view.rhythm, view.period, data.items, assignments, filed)
    return compliance_pages(view.header(), data.items, obligations, filed, today=today, state=state)


OBLIGATIONS_RULE = """\
Every report owed in a window of due dates (from..to), one row per responsibility and owed period, in (due_on,
period, responsibility_id) order, with the state of its report as compliance gives it (the same rows compliance
lists for each owed period, owed rows only). `pending=true` keeps only those not submitted yet (missing or draft):
what a reminder is about. A unit token sees only its own."""


def obligation_key(row: ComplianceEntry) -> tuple[str, str, int]:
    """The order (and cursor) of the obligation list."""
    return row["due_on"], row["period"], row["responsibility_id"]  # an ISO date: sorts as the date


async def obligations(
    db: Database,
    tasks: TasksClient,
    *,
    plan_id: int,
    start: date,
    end: date,
    today: date,
    principal: Principal,
    unit_id: int | None,
    pending: bool,
) -> ObligationView:
    """The reports owed with a due date in [start, end] (a unit token: its own), with where each stands: the rows
    compliance gives for each owed period, owed rows only, built only for the pairs kept (owed_obligations); a due date
    nothing is owed on reads no reports at all."""
    unit_id = principal.scoped_unit(unit_id)
    data = await load_plan(tasks, plan_id)  # 404 for an unknown plan, before anything else
    plan, items = data.plan, data.items
    duties = sorted((a for a in data.assignments if unit_id is None or a.unit_id == unit_id), key=lambda a: a.id)
    rows: list[ComplianceEntry] = []
    async with db.read() as conn:
        wanted = owing_periods(await rhythm_of(conn, plan), items, duties, start, end)
        # Each period's reports side by side, as asyncpg's records on PostgreSQL (a plan's thousands per period).
        reads = [period_reports_read(plan_id, owed.period.id, unit_id=unit_id) for owed, _ in wanted]
        found = await read_all(db, conn, reads)
    for (owed, owing), reports in zip(wanted, found, strict=True):
        filed = by_pair(reports)
        kept = owed_obligations(duties, owing, owed, filed, pending=pending)
        rows += compliance_rows(items, kept, filed, today=today)
    rows.sort(key=obligation_key)
    return {"plan_id": plan_id, "from": start, "to": end, "as_of": today, "rows": rows}


async def rollups(
    db: Database, tasks: TasksClient, memo: InputMemo, *, plan_id: int, period: str, by: str, today: date
) -> RollupView:
    """The roll-up, its rows already encoded (JSON); the answer is shared between requests while its inputs are
    equal (`memo`, the app's: memo.py): callers must not change it. The rows are still read every time."""
    data, grouping = await asyncio.gather(load_plan(tasks, plan_id), load_grouping(tasks, plan_id, by))
    reads = [
        (filed_counts_statement(FILED_KEY[by]), {"plan_id": plan_id, **periods_of(period)}),
        *light_reads(plan_id, period, today),
    ]
    async with db.read() as conn, reading(db, conn, reads) as under_way:
        view = await period_view(conn, data, period, today)
        filed, leads, points, accepted, duties = await under_way.all()
    # The plan by its revision (a digest of tasks_api's answer), not its lists: a kept answer does not keep the plan.
    plan = view.data if view.data.revision is None else view.data.revision
    inputs = (by, plan, view.owed, view.rules, view.rhythm, grouping, filed, leads, points, accepted, duties)
    answer: RollupView | None = memo.get((plan_id, period, by, today), inputs)
    if answer is None:
        lights = _lights(view, by_pair(leads), _progress(view, by_indicator(points)), accepted, duties)
        rows = rollup(
            by,
            items=data.items,
            assignments=data.assignments,
            filed=as_filed(filed),
            lights=lights,
            overdue=today > view.due_on,
            not_owed=_not_owed(view),
            **grouping,
        )
        # The rows encoded once: a reused answer is copied into the response, not encoded again (2 ms on plan 2).
        answer = {**view.header(), "by": by, "data": orjson.Fragment(render(rows))}
        memo.keep((plan_id, period, by, today), inputs, answer)
    return answer


async def lights_of_period(
    db: Database,
    tasks: TasksClient,
    *,
    plan_id: int,
    period: str,
    today: date,
    principal: Principal,
    unit_id: int | None,
    kind: str | None,
    light: str | None,
) -> LightsView:
    """The lights of the items in scope (a unit token: the items it is responsible for), then the `light` filter."""
    unit_id = principal.scoped_unit(unit_id)
    data = await load_plan(tasks, plan_id)
    async with db.read() as conn:
        view = await period_view(conn, data, period, today)
        leads, points, accepted, duties = await read_all(db, conn, light_reads(plan_id, period, today))
    rows = _lights(view, by_pair(leads), _progress(view, by_indicator(points)), accepted, duties)
    if unit_id is not None:
        mine = items_of_unit(data.assignments, unit_id)
        rows = [row for row in rows if row["item_id"] in mine]
    rows = [row for row in rows if kind is None or row["kind"] == kind]
    return {
        **view.header(),
        "summary": light_counts(rows),
        "rows": [row for row in rows if light is None or row["light"] == light],
    }


async def indicator_progress(
    db: Database, tasks: TasksClient, *, plan_id: int, today: date, principal: Principal, item_id: int | None
) -> IndicatorView:
    """Every indicator of the plan (a unit token: of the items it is responsible for), or of one item."""
    data = await load_plan(tasks, plan_id)
    visible = {item.id for item in data.items}
    if principal.role is Role.UNIT:
        visible &= items_of_unit(data.assignments, principal.own_unit)
    if item_id is not None:
        if item_id not in visible:
            raise NotFound(f"Item {item_id} is not an item of plan {plan_id} you may see.")
        visible = {item_id}
    async with db.read() as conn:
        rules = await plan_rules(conn, plan_id)
        points = await measurement_points(conn, plan_id, today)
    rows = plan_indicator_progress(
        [i for i in data.indicators if i.item_id in visible],
        points,
        plan_start=data.plan.starts_on,
        margin=rules["indicator_margin"],
    )
    return {"plan_id": plan_id, "as_of": today.isoformat(), "rows": rows}


async def oversight_of(conn: AsyncConnection, plan: PlanOversight, period_id: str, today: date) -> PeriodOversight:
    """Compliance, roll-ups (every grouping), traffic lights and indicator progress of a period, as plain JSON: the
    plan read from tasks_api before `conn` was opened (inputs.load_plan_oversight), the reports from `conn`."""
    data, plan_id = plan.data, plan.data.plan.id
    view = await period_view(conn, data, period_id, today)
    filed = await period_reports(conn, plan_id, period_id)
    progress = _progress(view, await measurement_points(conn, plan_id, today))
    accepted = plain_rows(await conn.execute(accepted_statement(), {"plan_id": plan_id}))
    leads, duties = await period_reports(conn, plan_id, period_id, lead_only=True), await duty_rows(conn, plan_id)
    lights = _lights(view, leads, progress, accepted, duties)
    rows = _compliance_rows(view, filed)
    counts = {key: await filed_counts(conn, plan_id, period_id, key) for key in set(FILED_KEY.values())}
    return {
        **view.header(),
        "rules": {"due_soon_days": view.rules["due_soon_days"], "indicator_margin": view.rules["indicator_margin"]},
        "compliance": {"summary": compliance_summary(rows), "data": rows},
        "rollups": {
            by: rollup(
                by,
                items=data.items,
                assignments=data.assignments,
                filed=counts[FILED_KEY[by]],
                lights=lights,
                overdue=today > view.due_on,
                not_owed=_not_owed(view),
                **plan.grouping,
            )
            for by in BY
        },
        "traffic_lights": {"summary": light_counts(lights), "data": lights},
        "indicators": progress,
    }
