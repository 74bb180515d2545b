"""HTTP routes for oversight: compliance, roll-ups, traffic lights and indicator progress of a plan."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from operator import itemgetter
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response

from services.common import clock
from services.common.auth import Principal, PrincipalDep, Role, require_roles
from services.common.deps_factory import app_held
from services.common.etag import NOT_MODIFIED, IfNoneMatch, conditional_json
from services.common.identifiers import PERIOD_PATTERN
from services.common.json import JSONBytesResponse
from services.common.pagination import (
    BulkLimit,
    Cursor,
    Limit,
    decode_id_cursor,
    decode_tuple_cursor,
    paginate,
    positional_page,
    strict_int,
)
from services.common.problems import problem_responses
from services.common.routing import READ_ERRORS, api_router, list_page
from services.reporting_api.deps import DatabaseDep, TasksDep
from services.reporting_api.instructions.owed import INSTRUCTION_DUTY_RULE
from services.reporting_api.oversight import obligation_list, service
from services.reporting_api.oversight.compliance import COMPLIANCE_RULE, CompliancePages
from services.reporting_api.oversight.indicators import PROGRESS_RULE
from services.reporting_api.oversight.lights import LIGHT_RULE
from services.reporting_api.oversight.memo import InputMemo
from services.reporting_api.oversight.obligation_list import OwedQuery
from services.reporting_api.oversight.pages import encoded_page, model_page
from services.reporting_api.oversight.rollups import ROLLUP_RULE
from services.reporting_api.oversight.schemas import (
    CompliancePage,
    ComplianceState,
    IndicatorProgressPage,
    Light,
    ObligationColumns,
    ObligationPage,
    RollupBy,
    RollupReport,
    TrafficLightPage,
)
from services.reporting_api.oversight.shape import PlanShapes
from services.reporting_api.oversight.walks import ComplianceWalks

router = api_router("oversight")

# The app's caches of this room (held on app state, one per app: tests' apps on their own databases never share).
RollupMemoDep = Annotated[InputMemo, Depends(app_held("rollup_memo", InputMemo))]
WalksDep = Annotated[ComplianceWalks, Depends(app_held("compliance_walks", ComplianceWalks))]
ShapesDep = Annotated[PlanShapes, Depends(app_held("plan_shapes", PlanShapes))]
ERRORS = {**READ_ERRORS, **problem_responses(503)}

# Roll-ups are for the office and the leaders: any role but a unit.
Overseer = Annotated[Principal, Depends(require_roles(Role.OFFICE, Role.VIEWER, Role.SERVICE))]
Period = Annotated[str, Query(pattern=PERIOD_PATTERN, description="The reporting period: 2024, 2024-H1 or 2024-Q1.")]
AsOf = Annotated[date | None, Query(description="Compute the view as of this date (default: today).")]
UnitFilter = Annotated[int | None, Query(description="Only this unit's rows; a unit token sees only its own.")]
WindowStart = Annotated[date, Query(alias="from", description="First due date of the window.")]
WindowEnd = Annotated[date, Query(alias="to", description="Last due date of the window.")]
Pending = Annotated[bool, Query(description="Only reports not submitted yet (missing or draft).")]


def _today(as_of: date | None) -> date:
    return as_of or clock.business_today()


@list_page(
    router,
    "/plans/{plan_id}/compliance",
    summary="Who has reported for a period, and who has not",
    description=f"{COMPLIANCE_RULE}\n\n{INSTRUCTION_DUTY_RULE}",
    response_model=CompliancePage,
    responses=ERRORS,
)
async def get_plan_compliance(
    plan_id: int,
    period: Period,
    request: Request,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: PrincipalDep,
    walks: WalksDep,
    memo: RollupMemoDep,
    shapes: ShapesDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    unit_id: UnitFilter = None,
    state: ComplianceState | None = None,
    as_of: AsOf = None,
) -> Response:
    walk = (plan_id, period, _today(as_of), principal.scoped_unit(unit_id), state)
    view = walks.get(walk) if cursor else None
    if not isinstance(view, CompliancePages):
        view = await service.compliance(
            db,
            tasks,
            memo,
            shapes,
            plan_id=plan_id,
            period=period,
            today=_today(as_of),
            principal=principal,
            unit_id=unit_id,
            state=state,
        )
        if len(view.kept) > limit:  # more pages will follow: they continue this view (walks.py)
            walks.keep(walk, view)
    rows = view.rows_after(decode_id_cursor(cursor), limit)
    page, headers = paginate(rows, limit, request, itemgetter("responsibility_id"))
    duties = {"instructions": view.duties, "instruction_summary": view.duty_summary}
    return JSONBytesResponse({**view.header, "summary": view.summary, **page, **duties}, headers=headers)


@router.get(
    "/plans/{plan_id}/obligations",
    summary="The reports owed in a window of due dates, and where each stands",
    description=f"{obligation_list.OBLIGATIONS_RULE}\n\n{INSTRUCTION_DUTY_RULE}",
    response_model=ObligationPage,
    responses={**ERRORS, **NOT_MODIFIED},
)
async def get_plan_obligations(
    plan_id: int,
    request: Request,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: PrincipalDep,
    walks: WalksDep,
    start: WindowStart,
    end: WindowEnd,
    limit: BulkLimit = 50,
    cursor: Cursor = None,
    unit_id: UnitFilter = None,
    pending: Pending = False,
    as_of: AsOf = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    after = decode_tuple_cursor(cursor, str, str, strict_int)
    walk = ("obligations", plan_id, start, end, _today(as_of), principal.scoped_unit(unit_id), pending)
    view = walks.get(walk) if cursor else None
    if view is None or isinstance(view, CompliancePages):  # the walks of compliance are under other keys
        query = OwedQuery(plan_id, start, end, _today(as_of), unit_id, pending)
        fresh = await obligation_list.obligations(db, tasks, query, principal)
        if len(fresh["rows"]) > limit:  # more pages will follow: they continue this view (walks.py)
            walks.keep(walk, fresh)
        view = fresh
    return encoded_page(view, view["rows"], after, limit, obligation_list.obligation_key, request, if_none_match)


@router.get(
    "/plans/{plan_id}/obligations/columns",
    summary="The reports owed in a window of due dates, as blocks of columns",
    description=f"{obligation_list.OBLIGATIONS_RULE}\n\n{obligation_list.COLUMNS_RULE}",
    response_model=ObligationColumns,
    responses={**ERRORS, **NOT_MODIFIED},
)
async def get_plan_obligation_columns(
    plan_id: int,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: PrincipalDep,
    start: WindowStart,
    end: WindowEnd,
    unit_id: UnitFilter = None,
    pending: Pending = False,
    as_of: AsOf = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    query = OwedQuery(plan_id, start, end, _today(as_of), unit_id, pending)
    body = await obligation_list.obligation_columns(db, tasks, query, principal)
    return conditional_json(body, if_none_match)


@list_page(
    router,
    "/plans/{plan_id}/rollups",
    summary="Reporting of a period rolled up by unit, section, county, thematic group or item kind",
    description=ROLLUP_RULE,
    response_model=RollupReport,
    responses=ERRORS,
)
async def get_plan_rollups(
    plan_id: int,
    period: Period,
    db: DatabaseDep,
    tasks: TasksDep,
    memo: RollupMemoDep,
    shapes: ShapesDep,
    _: Overseer,
    request: Request,
    by: RollupBy = RollupBy.UNIT,
    as_of: AsOf = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    view = await service.rollups(db, tasks, memo, shapes, plan_id=plan_id, period=period, by=by, today=_today(as_of))
    # The view is shared between requests (oversight/memo.py): its page is a slice of its rows, each encoded once.
    rows: Sequence[Any] = view["data"]  # orjson fragments: written into the answer as they are
    page, headers = positional_page(rows, cursor, limit, request)
    # Built typed already: straight to orjson, not re-validated.
    return JSONBytesResponse({**{k: v for k, v in view.items() if k != "data"}, **page}, headers=headers)


@router.get(
    "/plans/{plan_id}/traffic-lights",
    summary="The traffic light (红黄绿灯) of every item for a period",
    description=LIGHT_RULE,
    responses=ERRORS,
)
async def get_plan_traffic_lights(
    plan_id: int,
    period: Period,
    request: Request,
    response: Response,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: PrincipalDep,
    shapes: ShapesDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    light: Light | None = None,
    kind: Annotated[str | None, Query(max_length=20, description="Only items of this kind.")] = None,
    unit_id: Annotated[
        int | None, Query(description="Only items this unit is responsible for; a unit token sees only its own.")
    ] = None,
    as_of: AsOf = None,
) -> TrafficLightPage:
    view = await service.lights_of_period(
        db,
        tasks,
        shapes,
        plan_id=plan_id,
        period=period,
        today=_today(as_of),
        principal=principal,
        unit_id=unit_id,
        kind=kind,
        light=light,
    )
    page, headers = model_page(TrafficLightPage, view, view["rows"], cursor, "item_id", limit, request)
    response.headers.update(headers)
    return page


@router.get(
    "/plans/{plan_id}/indicators/progress",
    summary="Progress of the plan's indicators towards target",
    description=PROGRESS_RULE,
    responses=ERRORS,
)
async def get_plan_indicator_progress(
    plan_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: PrincipalDep,
    shapes: ShapesDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    item_id: Annotated[int | None, Query(description="Only this item's indicators.")] = None,
    as_of: AsOf = None,
) -> IndicatorProgressPage:
    view = await service.indicator_progress(
        db, tasks, shapes, plan_id=plan_id, today=_today(as_of), principal=principal, item_id=item_id
    )
    page, headers = model_page(IndicatorProgressPage, view, view["rows"], cursor, "indicator_id", limit, request)
    response.headers.update(headers)
    return page
