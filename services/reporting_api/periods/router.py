"""HTTP routes for a plan's reporting calendar and rules."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from services.common.auth import PrincipalDep, Staff
from services.common.deps_factory import app_held
from services.common.etag import IfMatch, expected_version
from services.common.identifiers import PERIOD_PATTERN
from services.common.openapi import ANSWER_CONFIG
from services.common.problems import problem_responses
from services.common.routing import GUARDED_WRITE_ERRORS, READ_ERRORS, WRITE_ERRORS, api_router, current
from services.reporting_api.deps import DatabaseDep, TasksDep
from services.reporting_api.periods import cadences, service
from services.reporting_api.periods.calendar import Cadence, PeriodKind, ReportType
from services.reporting_api.periods.models import RuleFields, RulesUpdate
from services.reporting_api.periods.schemas import DueDatesMoved

router = api_router("periods")
PEER_ERRORS = problem_responses(503)


class PeriodPublic(BaseModel):
    """A reporting period (报送周期) with its due date."""

    id: str
    kind: PeriodKind
    starts_on: date
    ends_on: date
    due_on: date
    due_on_overridden: bool = Field(description="Whether the office set this due date by hand.")
    official_calendar: bool = Field(
        description="Whether the due date follows the official working-day calendar "
        "(法定工作日); false outside its years."
    )
    closed: bool = Field(description="Whether the period is closed (已关账); its figures are then fixed.")
    report_type: ReportType = Field(
        description="The report a period of this kind asks for: monthly, quarterly "
        "(季度梳理), half_year (半年小结) or annual (年度汇总)."
    )
    owed: bool = Field(
        description="Whether an item of the plan's default cadence owes this period's report (a "
        "due date of the plan's rhythm); items with a cadence of their own may differ."
    )
    answered_by: str = Field(
        description="The period whose report answers for this one: the largest period ending "
        "the same day (2024-Q2 → 2024-H1, 2024-Q4 → 2024).",
        examples=["2024-H1"],
    )


class PeriodList(BaseModel):
    """A plan's reporting periods with their due dates (报送日历)."""

    data: list[PeriodPublic]


class DueDate(BaseModel):
    """A due date set by the office for one period (报送截止日期)."""

    model_config = ConfigDict(extra="forbid")
    due_on: date


class RulesPublic(RuleFields):
    """A plan's reporting rules (报送规则): when reports are due and when a light turns yellow."""

    model_config = ANSWER_CONFIG
    plan_id: int
    version: int


class ItemCadencePublic(BaseModel):
    """An item's reporting cadence (报送频次): its own, if the office set one, and the one in effect."""

    model_config = ANSWER_CONFIG
    item_id: int
    plan_id: int
    cadence: Cadence | None = Field(description="The item's own cadence; null when the plan's rules decide.")
    effective: Cadence = Field(
        description="The cadence the item reports at: its own, else its kind's, else the plan's default."
    )
    source: str = Field(description="Where the effective cadence comes from: item, kind or plan.", examples=["plan"])
    version: int = Field(description="0 until the office first sets the item's cadence.")


class ItemCadenceUpdate(BaseModel):
    """The item's own cadence; null hands the item back to the plan's rules."""

    model_config = ConfigDict(extra="forbid")
    cadence: Cadence | None = Field(
        description="monthly, quarterly, half_yearly, yearly or none; null: the plan's rules decide again."
    )


@router.get(
    "/plans/{plan_id}/periods", summary="The plan's reporting calendar", responses={**READ_ERRORS, **PEER_ERRORS}
)
async def list_periods(
    plan_id: int, db: DatabaseDep, tasks: TasksDep, _: PrincipalDep, kind: PeriodKind | None = None
) -> PeriodList:
    periods = await service.list_periods(db, tasks, plan_id=plan_id, kind=kind)
    return PeriodList(data=[PeriodPublic.model_validate(period) for period in periods])


# Moving due dates judges the reports filed for them again: the reports room does that (DueDatesMoved), handed to
# these routes by the app, as this room cannot import that one.
FollowDep = Annotated[DueDatesMoved, Depends(app_held("due_dates_moved", DueDatesMoved))]

PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, description="The period whose due date this sets.")]


@router.put(
    "/plans/{plan_id}/periods/{period}/due-date",
    summary="Override a period's due date",
    description="The reports already filed for the period are judged again on the new date. 409 once a closed "
    "period locks the period's reports.",
    status_code=204,
    responses={**WRITE_ERRORS, **PEER_ERRORS},
)
async def set_period_due_date(
    plan_id: int,
    period: PeriodPath,
    data: DueDate,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: Staff,
    follow: FollowDep,
) -> Response:
    await service.override_due_date(
        db, tasks, plan_id=plan_id, period_id=period, due_on=data.due_on, actor=principal, follow=follow
    )
    return Response(status_code=204)


@router.get(
    "/plans/{plan_id}/rules",
    summary="The plan's reporting and assessment rules",
    responses={**READ_ERRORS, **PEER_ERRORS},
)
async def get_rules(plan_id: int, response: Response, db: DatabaseDep, tasks: TasksDep, _: PrincipalDep) -> RulesPublic:
    return current(response, RulesPublic, await service.rules_of_plan(db, tasks, plan_id=plan_id))


@router.patch(
    "/plans/{plan_id}/rules", summary="Change the plan's rules", responses={**GUARDED_WRITE_ERRORS, **PEER_ERRORS}
)
async def update_rules(
    plan_id: int,
    data: RulesUpdate,
    response: Response,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: Staff,
    follow: FollowDep,
    if_match: IfMatch = None,
) -> RulesPublic:
    rules = await service.update_rules(
        db, tasks, plan_id=plan_id, data=data, version=expected_version(if_match), actor=principal, follow=follow
    )
    return current(response, RulesPublic, rules)


@router.get("/items/{item_id}/cadence", summary="An item's reporting cadence", responses={**READ_ERRORS, **PEER_ERRORS})
async def get_item_cadence(
    item_id: int, response: Response, db: DatabaseDep, tasks: TasksDep, _: PrincipalDep
) -> ItemCadencePublic:
    found = await cadences.item_cadence(db, tasks, item_id=item_id)
    return current(response, ItemCadencePublic, found)


@router.put(
    "/items/{item_id}/cadence",
    summary="Set an item's own reporting cadence",
    responses={**GUARDED_WRITE_ERRORS, **PEER_ERRORS},
)
async def set_item_cadence(
    item_id: int,
    data: ItemCadenceUpdate,
    response: Response,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: Staff,
    if_match: IfMatch = None,
) -> ItemCadencePublic:
    found = await cadences.set_item_cadence(
        db, tasks, item_id=item_id, cadence=data.cadence, version=expected_version(if_match), actor=principal
    )
    return current(response, ItemCadencePublic, found)
