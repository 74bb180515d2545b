"""Oversight: the four views of a period (compliance, roll-ups, traffic lights, indicator progress).

The rules themselves are pure functions in compliance.py, lights.py, indicators.py and rollups.py; this module
reads the plan from tasks_api first (inputs.py, its shape kept per structure: shape.py), then report data from our
database (repository.py), scopes it to the caller and hands it over. `oversight_of` returns all four views of a
period at once, JSON-serialisable, for the snapshot of a closed period.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal, Role
from services.common.contracts.plan_rows import PlanAssignment
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.common.driver_reads import Rows, reading
from services.common.problems import NotFound
from services.common.records import plain_rows
from services.reporting_api.instructions.owed import duty_entries, period_duties_read
from services.reporting_api.oversight.compliance import (
    CompliancePages,
    compliance_pages,
    compliance_summary,
    period_obligations,
)
from services.reporting_api.oversight.compliance_rows import compliance_rows
from services.reporting_api.oversight.filed import filed_columns_read, period_filed
from services.reporting_api.oversight.filed_counts import read_filed_counts
from services.reporting_api.oversight.indicators import behind_of_progress, plan_indicator_progress
from services.reporting_api.oversight.inputs import (
    PeriodView,
    PlanData,
    PlanOversight,
    load_grouping,
    load_plan,
    period_view,
    read_period_view,
)
from services.reporting_api.oversight.lights import (
    LightContext,
    R,
    by_pair_key,
    earliest_answer_dates,
    light_counts,
    lights_by_item,
    traffic_lights,
)
from services.reporting_api.oversight.memo import InputMemo
from services.reporting_api.oversight.period_rows import behind_of, read_rollup
from services.reporting_api.oversight.progress import (
    ACCEPTED_FIELDS,
    accepted_texts_statement,
    completed_by_item,
    progress_of_items,
)
from services.reporting_api.oversight.repository import (
    LATEST_FIELDS,
    by_pair,
    duty_rows,
    latest_points,
    light_reads,
    measurement_points,
    period_reports,
)
from services.reporting_api.oversight.rollups import BY, FILED_KEY, PLAN_ONLY, groups_by_key, layout_of
from services.reporting_api.oversight.schemas.rows import (
    ComplianceEntry,
    Grouping,
    IndicatorView,
    LightEntry,
    LightsView,
    PeriodOversight,
    PeriodReport,
    ReportsByPair,
    RollupView,
)
from services.reporting_api.oversight.shape import PlanShapes
from services.reporting_api.oversight.tally import EncodedRows, Tally, counted, tally_of
from services.reporting_api.oversight.texts import text_row
from services.reporting_api.periods.obligations import obligations_of
from services.reporting_api.periods.service import plan_rules

# -- scope ----------------------------------------------------------------------------------------------


def items_of_unit(assignments: Iterable[PlanAssignment], unit_id: int) -> set[int]:
    return {a.item_id for a in assignments if a.unit_id == unit_id}


# -- the four views ---------------------------------------------------------------------------------------


def _light_context(
    view: PeriodView,
    lead_reports: Mapping[int, R],
    behind: Mapping[int, Sequence[str]],
    duties: Mapping[int, date],
) -> LightContext[R]:
    due_soon, owing = view.rules["due_soon_days"], view.owing.items
    return LightContext(lead_reports, behind, view.due_on, view.today, due_soon, owing, duties)


def _lights(view: PeriodView, context: LightContext[PeriodReport], accepted: Rows) -> list[LightEntry]:
    """The lights of the plan's items; `accepted` the row of accepted_texts_statement."""
    shape = view.data.shape
    completed = completed_by_item(text_row(accepted, ACCEPTED_FIELDS))
    return traffic_lights(shape.lighted, context, progress_of_items(shape.items, completed))


def _compliance_rows(view: PeriodView, filed: ReportsByPair) -> list[ComplianceEntry]:
    """What answers for the period (obligations_of) with the state of each report."""
    shape = view.data.shape
    items, duties = shape.items, shape.duties
    obligations = obligations_of(view.rhythm, view.period, items, duties, filed, owing=view.owing.items)
    return compliance_rows(shape.items, obligations, filed, today=view.today)


async def compliance(
    db: Database,
    tasks: TasksClient,
    memo: InputMemo,
    shapes: PlanShapes,
    *,
    plan_id: int,
    period: str,
    today: date,
    principal: Principal,
    unit_id: int | None,
    state: str | None,
) -> CompliancePages:
    """Every expected pair of the period (a unit token: its own), the summary, then the `state` filter; the rows are
    built a page at a time (CompliancePages). The reports are parsed once while they read the same (`memo`)."""
    unit_id = principal.scoped_unit(unit_id)
    data = await load_plan(tasks, plan_id, shapes)
    # On PostgreSQL the reports are read on a connection of their own while the period view reads in turn on this one.
    reads = [filed_columns_read(plan_id, period, unit_id=unit_id)]
    async with db.reads() as conn, reading(db, conn, reads) as under_way:
        view, (owing,) = await read_period_view(
            db, conn, data, period, today, period_duties_read(plan_id, period, unit_id=unit_id)
        )
        rows = await under_way.rows(0)
    owed = duty_entries(owing, today)
    filed, shape = period_filed(memo, rows, plan_id, period, unit_id), data.shape
    duties = shape.duties if unit_id is None else [a for a in shape.duties if a.unit_id == unit_id]
    split = view.owing.split if unit_id is None else None
    obligations = period_obligations(view.rhythm, view.period, duties, view.owing.items, filed, split)
    return compliance_pages(view.header(), shape.by_id, obligations, filed, today=today, state=state, duties=owed)


def _tally(by: str, data: PlanData, grouping: Grouping) -> Tally:
    """A grouping's groups and layout as a roll-up counts them: the plan's shape keeps those read from the plan
    alone."""
    shape = data.shape
    if by in PLAN_ONLY:
        return shape.tally(by)
    groups = groups_by_key(
        by,
        items=shape.items,
        assignments=shape.by_item,
        units=grouping.get("units", ()),
        item_leaders=grouping.get("item_leaders", ()),
        thematic=grouping.get("thematic", ()),
        links=data.links,
    )
    return tally_of(groups, layout_of(by, groups, shape.by_item))


async def rollups(
    db: Database,
    tasks: TasksClient,
    memo: InputMemo,
    shapes: PlanShapes,
    *,
    plan_id: int,
    period: str,
    by: str,
    today: date,
) -> RollupView:
    """The roll-up, its rows already encoded (JSON); the answer is shared between requests while its inputs are
    equal (`memo`, the app's: memo.py): callers must not change it. The rows are still read every time."""
    data, grouping = await asyncio.gather(load_plan(tasks, plan_id, shapes), load_grouping(tasks, plan_id, by))
    read = await read_rollup(db, data, period, by, today)  # the rows as texts, folded only when the memo misses
    view = read.view
    # The plan by its revision (a digest of tasks_api's answer), not its lists: a kept answer does not keep the plan.
    plan = view.data if view.data.revision is None else view.data.revision
    inputs = (by, plan, view.owed, view.rules, view.rhythm, grouping, read.filed, read.lights)
    answer: RollupView | None = memo.get((plan_id, period, by, today), inputs)
    if answer is None:
        lit, filed = read.derived(memo, plan, FILED_KEY[by])
        shape, context = data.shape, _light_context(view, lit.reports, lit.behind, lit.duties)
        lights = lights_by_item(shape.lighted, context, lit.progress)
        tally = _tally(by, data, grouping)
        counts = counted(tally, filed, lights, today > view.due_on, view.owing.not_owed)
        # A row built and encoded when a page first shows it, then kept: a reused answer's page is a slice of them.
        rows = EncodedRows(counts)
        answer = {**view.header(), "by": by, "data": rows}
        memo.keep((plan_id, period, by, today), inputs, answer, rows=read.size + len(rows))  # what its bound counts
    return answer


async def lights_of_period(
    db: Database,
    tasks: TasksClient,
    shapes: PlanShapes,
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
    data = await load_plan(tasks, plan_id, shapes)
    async with db.reads() as conn, reading(db, conn, light_reads(plan_id, period, today)) as under_way:
        view, _ = await read_period_view(db, conn, data, period, today)
        leads, points, accepted, duties = await under_way.all()
    behind = behind_of(view, latest_points(text_row(points, LATEST_FIELDS)))
    context = _light_context(view, by_pair_key(by_pair(leads)), behind, earliest_answer_dates(duties))
    rows = _lights(view, context, accepted)
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
    db: Database,
    tasks: TasksClient,
    shapes: PlanShapes,
    *,
    plan_id: int,
    today: date,
    principal: Principal,
    item_id: int | None,
) -> IndicatorView:
    """Every indicator of the plan (a unit token: of the items it is responsible for), or of one item."""
    data = await load_plan(tasks, plan_id, shapes)
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
    indicators = [i for i in data.indicators if i.item_id in visible]
    rows = plan_indicator_progress(indicators, points, plan_start=data.plan.starts_on, margin=rules["indicator_margin"])
    return {"plan_id": plan_id, "as_of": today.isoformat(), "rows": rows}


async def oversight_of(conn: AsyncConnection, plan: PlanOversight, period_id: str, today: date) -> PeriodOversight:
    """Compliance, roll-ups (every grouping), traffic lights and indicator progress of a period, as plain JSON: the
    plan read from tasks_api before `conn` was opened (inputs.load_plan_oversight), the reports from `conn`."""
    data, plan_id = plan.data, plan.data.plan.id
    view = await period_view(conn, data, period_id, today)
    filed = await period_reports(conn, plan_id, period_id)
    points = await measurement_points(conn, plan_id, today)
    progress = plan_indicator_progress(
        data.shape.indicators, points, plan_start=data.plan.starts_on, margin=view.rules["indicator_margin"]
    )
    accepted = plain_rows(await conn.execute(accepted_texts_statement(), {"plan_id": plan_id}))
    leads, duties = await period_reports(conn, plan_id, period_id, lead_only=True), await duty_rows(conn, plan_id)
    lights = _lights(
        view,
        _light_context(view, by_pair_key(leads), behind_of_progress(progress), earliest_answer_dates(duties)),
        accepted,
    )
    rows = _compliance_rows(view, filed)
    overdue, not_owed = today > view.due_on, view.owing.not_owed
    counts = {key: await read_filed_counts(conn, plan_id, period_id, key, not_owed) for key in set(FILED_KEY.values())}
    light_of = {row["item_id"]: (row["light"], row["progress_status"]) for row in lights}
    return {
        **view.header(),
        "rules": {"due_soon_days": view.rules["due_soon_days"], "indicator_margin": view.rules["indicator_margin"]},
        "compliance": {"summary": compliance_summary(rows), "data": rows},
        "rollups": {
            by: counted(_tally(by, data, plan.grouping), counts[FILED_KEY[by]], light_of, overdue, not_owed).rows()
            for by in BY
        },
        "traffic_lights": {"summary": light_counts(lights), "data": lights},
        "indicators": progress,
    }
