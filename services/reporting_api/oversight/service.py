"""Oversight I/O: plan data from tasks_api (cached by its client), report data from our database.

The rules themselves are pure functions in compliance.py, lights.py, indicators.py and rollups.py; this
module only gathers their input, scopes it to the caller, and hands it over. `oversight_of` returns all four
views of a period at once, JSON-serialisable, for the snapshot of a closed period.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal, Role
from services.common.contracts.tasks import Assignment, Group, Indicator, Item, Member, Plan, TasksClient
from services.common.db import Database
from services.common.driver_reads import Read, Rows, read_all, reading
from services.common.json import render
from services.common.problems import NotFound
from services.common.records import plain_rows
from services.reporting_api.oversight.compliance import compliance_rows, compliance_summary
from services.reporting_api.oversight.indicators import plan_indicator_progress
from services.reporting_api.oversight.lights import REPORTED, light_counts, traffic_lights
from services.reporting_api.oversight.memo import InputMemo
from services.reporting_api.oversight.progress import accepted_statement, progress_of_items
from services.reporting_api.oversight.rollups import BY, FILED_KEY, rollup
from services.reporting_api.periods.calendar import ScheduledPeriod, answering_ids, parse_period
from services.reporting_api.periods.obligations import Rhythm, latest_per_pair, obligations_of, owing_items
from services.reporting_api.periods.service import plan_rhythm, plan_rules
from services.reporting_api.reports.service import measurements, reports, versions


@dataclass(frozen=True, slots=True)
class PlanData:
    plan: Plan
    items: list[Item]
    assignments: list[Assignment]
    indicators: list[Indicator]


@dataclass(frozen=True, slots=True)
class PeriodView:
    """The plan, the period asked about and the one whose report answers for it (2024-Q2 → 2024-H1) with its due
    date, the day we look from, the plan's rules and its rhythm (periods/obligations.py)."""

    data: PlanData
    period: str
    owed: ScheduledPeriod
    today: date
    rules: dict[str, Any]
    rhythm: Rhythm

    @property
    def due_on(self) -> date:
        return self.owed.due_on

    @property
    def owing(self) -> set[int]:
        """The items that owe the report answering for the period."""
        return owing_items(self.rhythm, self.data.items, self.owed)

    def header(self) -> dict[str, Any]:
        return {
            "plan_id": self.data.plan.id,
            "period": self.period,
            "owed_period": self.owed.period.id,
            "report_type": self.owed.period.report_type.value,
            "due_on": self.due_on.isoformat(),
            "as_of": self.today.isoformat(),
        }


async def load_plan(tasks: TasksClient, plan_id: int) -> PlanData:
    plan = await tasks.plan(plan_id)  # 404 for an unknown plan, before anything else
    items, assignments, indicators = await asyncio.gather(
        tasks.plan_items(plan_id), tasks.plan_assignments(plan_id), tasks.plan_indicators(plan_id)
    )
    return PlanData(plan, items, assignments, indicators)


async def load_grouping(tasks: TasksClient, plan_id: int, by: str) -> dict[str, Any]:
    """What a roll-up needs beyond the plan: units (by county), lead leaders and thematic groups (by group)."""
    found: dict[str, Any] = {}
    if by == "county":
        found["units"] = await tasks.units()
    if by == "group":
        found["item_leaders"], groups = await asyncio.gather(
            tasks.plan_item_leaders(plan_id), tasks.groups(plan_id, kind="thematic")
        )
        found["thematic"] = await _with_members(tasks, groups)
    return found


async def _with_members(tasks: TasksClient, groups: list[Group]) -> list[tuple[Group, list[Member]]]:
    members = await asyncio.gather(*(tasks.group_members(group.id) for group in groups))
    return list(zip(groups, members, strict=True))


async def period_view(
    conn: AsyncConnection, tasks: TasksClient, data: PlanData, period: str, today: date
) -> PeriodView:
    rhythm = await plan_rhythm(conn, tasks, data.plan.id)
    owed = rhythm.owed_for(period)  # 422 for a period outside the plan
    return PeriodView(data, period, owed, today, await plan_rules(conn, data.plan.id), rhythm)


# -- queries --------------------------------------------------------------------------------------------
# Each statement is built once, with bindparams for what changes between calls: the roll-up and the lights read
# them past SQLAlchemy (services/common/driver_reads.py), which compiles each statement once.

# The periods answering for one (those ending the same day: a month, a quarter, a half-year, a year) as four
# bindparams, so that each statement is still built and compiled once.
ANSWERING = tuple(bindparam(f"period_{n}") for n in range(4))


def periods_of(period: str) -> dict[str, str]:
    """The values of ANSWERING for a period (the last one repeated where fewer periods end that day)."""
    ids = answering_ids(parse_period(period))
    return {param.key: ids[min(n, len(ids) - 1)] for n, param in enumerate(ANSWERING)}


@cache
def period_reports_statement(*, of_unit: bool = False, lead_only: bool = False) -> Select[Any]:
    """The reports answering for the period (of one unit; only those filed as lead): the columns the rules read."""
    query = select(
        reports.c.id,
        reports.c.item_id,
        reports.c.unit_id,
        reports.c.period,
        reports.c.status,
        reports.c.late,
        reports.c.days_late,
        reports.c.self_status,
    ).where(reports.c.plan_id == bindparam("plan_id"), reports.c.period.in_(ANSWERING))
    if of_unit:
        query = query.where(reports.c.unit_id == bindparam("unit_id"))
    if lead_only:
        query = query.where(reports.c.role == "lead")
    return query


@cache
def filed_counts_statement(key: str) -> Select[Any]:
    """The reports answering for the period counted per unit or per item, status and lateness: one aggregate, not
    every row; of a pair that filed two (under an earlier cadence) only the latest counts (latest_per_pair)."""
    column = reports.c[key]
    latest = (
        select(func.max(reports.c.id))
        .where(reports.c.plan_id == bindparam("plan_id"), reports.c.period.in_(ANSWERING))
        .group_by(reports.c.item_id, reports.c.unit_id)
    )
    return (
        select(column.label("key"), reports.c.status, reports.c.late, func.count().label("count"))
        .where(reports.c.id.in_(latest))
        .group_by(column, reports.c.status, reports.c.late)
    )


@cache
def measurement_points_statement(*, latest_only: bool) -> Select[Any]:
    """The values of submitted versions that were not returned, dated on or before `today`.

    `latest_only` keeps each indicator's latest value (all that attainment and the lights need), ranked in SQL
    so that a plan's whole measurement history is not loaded for a roll-up.
    """
    m = measurements
    columns = [m.c.id, m.c.indicator_id, m.c.as_of, m.c.value]
    if latest_only:
        columns.append(
            func.row_number()
            .over(partition_by=m.c.indicator_id, order_by=(m.c.as_of.desc(), m.c.id.desc()))
            .label("rank")
        )
    query = (
        select(*columns)
        .join(versions, versions.c.id == m.c.version_id)
        .where(
            m.c.plan_id == bindparam("plan_id"),
            m.c.as_of <= bindparam("today"),
            or_(versions.c.outcome.is_(None), versions.c.outcome != "returned"),
        )
    )
    if latest_only:
        ranked = query.subquery()
        query = select(ranked.c.id, ranked.c.indicator_id, ranked.c.as_of, ranked.c.value).where(ranked.c.rank == 1)
    return query


def by_pair(rows: Rows) -> dict[tuple[int, int], Mapping[str, Any]]:
    """Reports by (item_id, unit_id): the latest of a pair's reports answering for the period."""
    return latest_per_pair(rows)


def by_indicator(rows: Rows) -> dict[int, list[Mapping[str, Any]]]:
    """Measurement points by indicator id."""
    points: dict[int, list[Mapping[str, Any]]] = {}
    for row in rows:
        points.setdefault(row["indicator_id"], []).append(row)
    return points


async def period_reports(
    conn: AsyncConnection, plan_id: int, period: str, *, unit_id: int | None = None, lead_only: bool = False
) -> dict[tuple[int, int], Mapping[str, Any]]:
    """The period's reports by (item_id, unit_id)."""
    statement = period_reports_statement(of_unit=unit_id is not None, lead_only=lead_only)
    values = {"plan_id": plan_id, **periods_of(period), **({} if unit_id is None else {"unit_id": unit_id})}
    return by_pair(plain_rows(await conn.execute(statement, values)))


async def filed_counts(conn: AsyncConnection, plan_id: int, period: str, key: str) -> list[dict[str, Any]]:
    return plain_rows(await conn.execute(filed_counts_statement(key), {"plan_id": plan_id, **periods_of(period)}))


async def measurement_points(
    conn: AsyncConnection, plan_id: int, today: date, *, latest_only: bool = False
) -> dict[int, list[Mapping[str, Any]]]:
    """Indicator id → its measurement points (measurement_points_statement)."""
    statement = measurement_points_statement(latest_only=latest_only)
    return by_indicator(plain_rows(await conn.execute(statement, {"plan_id": plan_id, "today": today})))


def light_reads(plan_id: int, period: str, today: date) -> list[Read]:
    """What the lights read beyond the plan: the period's lead reports, each indicator's latest value, and the
    accepted reports per item (progress)."""
    return [
        (period_reports_statement(lead_only=True), {"plan_id": plan_id, **periods_of(period)}),
        (measurement_points_statement(latest_only=True), {"plan_id": plan_id, "today": today}),
        (accepted_statement(), {"plan_id": plan_id}),
    ]


# -- scope ----------------------------------------------------------------------------------------------


def items_of_unit(assignments: Iterable[Assignment], unit_id: int) -> set[int]:
    return {a.item_id for a in assignments if a.unit_id == unit_id}


# -- the four views ---------------------------------------------------------------------------------------


def _progress(view: PeriodView, points: Mapping[int, list[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    return plan_indicator_progress(
        view.data.indicators, points, plan_start=view.data.plan.starts_on, margin=view.rules["indicator_margin"]
    )


def _lights(
    view: PeriodView,
    lead_reports: Mapping[tuple[int, int], Mapping[str, Any]],
    progress: list[dict[str, Any]],
    accepted: Rows,
) -> list[dict[str, Any]]:
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
    )


def _compliance_rows(
    view: PeriodView, filed: Mapping[tuple[int, int], Mapping[str, Any]], unit_id: int | None = None
) -> list[dict[str, Any]]:
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
) -> dict[str, Any]:
    """Every expected pair of the period (a unit token: its own), the summary, then the `state` filter."""
    unit_id = principal.scoped_unit(unit_id)
    data = await load_plan(tasks, plan_id)
    async with db.read() as conn:
        view = await period_view(conn, tasks, data, period, today)
        filed = await period_reports(conn, plan_id, period, unit_id=unit_id)
    rows = _compliance_rows(view, filed, unit_id)
    return {
        **view.header(),
        "summary": compliance_summary(rows),
        "rows": [row for row in rows if state is None or row["state"] == state],
    }


OBLIGATIONS_RULE = """\
Every report owed in a window of due dates (from..to), one row per responsibility and owed period, in (due_on,
period, responsibility_id) order, with the state of its report as compliance gives it (the same rows compliance
lists for each owed period, owed rows only). `pending=true` keeps only those not submitted yet (missing or draft):
what a reminder is about. A unit token sees only its own."""


def obligation_key(row: Mapping[str, Any]) -> tuple[str, str, int]:
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
) -> dict[str, Any]:
    """The reports owed with a due date in [start, end] (a unit token: its own), with where each stands."""
    unit_id = principal.scoped_unit(unit_id)
    data = await load_plan(tasks, plan_id)
    rows: list[dict[str, Any]] = []
    async with db.read() as conn:
        rhythm, rules = await plan_rhythm(conn, tasks, plan_id), await plan_rules(conn, plan_id)
        for owed in rhythm.owed_periods(start, end):
            view = PeriodView(data, owed.period.id, owed, today, rules, rhythm)
            filed = await period_reports(conn, plan_id, owed.period.id, unit_id=unit_id)
            rows += [
                row
                for row in _compliance_rows(view, filed, unit_id)
                if row["owed"] and not (pending and row["state"] in REPORTED)
            ]
    rows.sort(key=obligation_key)
    return {"plan_id": plan_id, "from": start, "to": end, "as_of": today, "rows": rows}


async def rollups(
    db: Database, tasks: TasksClient, memo: InputMemo, *, plan_id: int, period: str, by: str, today: date
) -> dict[str, Any]:
    """The roll-up, its rows already encoded (JSON); the answer is shared between requests while its inputs are
    equal (`memo`, the app's: memo.py): callers must not change it. The rows are still read every time."""
    data, grouping = await asyncio.gather(load_plan(tasks, plan_id), load_grouping(tasks, plan_id, by))
    reads = [
        (filed_counts_statement(FILED_KEY[by]), {"plan_id": plan_id, **periods_of(period)}),
        *light_reads(plan_id, period, today),
    ]
    async with db.read() as conn, reading(db, conn, reads) as under_way:
        view = await period_view(conn, tasks, data, period, today)
        filed, leads, points, accepted = await under_way.all()
    inputs = (by, view, grouping, filed, leads, points, accepted)
    answer = memo.get((plan_id, period, by, today), inputs)
    if answer is None:
        lights = _lights(view, by_pair(leads), _progress(view, by_indicator(points)), accepted)
        rows = rollup(
            by,
            items=data.items,
            assignments=data.assignments,
            filed=filed,
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
) -> dict[str, Any]:
    """The lights of the items in scope (a unit token: the items it is responsible for), then the `light` filter."""
    unit_id = principal.scoped_unit(unit_id)
    data = await load_plan(tasks, plan_id)
    async with db.read() as conn:
        view = await period_view(conn, tasks, data, period, today)
        leads, points, accepted = await read_all(db, conn, light_reads(plan_id, period, today))
    rows = _lights(view, by_pair(leads), _progress(view, by_indicator(points)), accepted)
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
) -> dict[str, Any]:
    """Every indicator of the plan (a unit token: of the items it is responsible for), or of one item."""
    data = await load_plan(tasks, plan_id)
    visible = {item.id for item in data.items}
    if principal.role is Role.UNIT:
        visible &= items_of_unit(data.assignments, principal.unit_id)
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


async def oversight_of(
    conn: AsyncConnection, tasks: TasksClient, plan_id: int, period_id: str, today: date
) -> dict[str, Any]:
    """Compliance, roll-ups (every grouping), traffic lights and indicator progress of a period, as plain JSON."""
    data = await load_plan(tasks, plan_id)
    grouping = {**await load_grouping(tasks, plan_id, "county"), **await load_grouping(tasks, plan_id, "group")}
    view = await period_view(conn, tasks, data, period_id, today)
    filed = await period_reports(conn, plan_id, period_id)
    progress = _progress(view, await measurement_points(conn, plan_id, today))
    accepted = plain_rows(await conn.execute(accepted_statement(), {"plan_id": plan_id}))
    lights = _lights(view, await period_reports(conn, plan_id, period_id, lead_only=True), progress, accepted)
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
                **grouping,
            )
            for by in BY
        },
        "traffic_lights": {"summary": light_counts(lights), "data": lights},
        "indicators": progress,
    }
