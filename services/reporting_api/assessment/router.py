"""HTTP routes for closing periods and the annual assessment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path, Query, Response
from pydantic import BaseModel, Field

from services.common import clock
from services.common.auth import CurrentPrincipal, Staff
from services.common.peers import TasksDep
from services.common.problems import problem_responses
from services.common.routing import READ_ERRORS, api_router
from services.reporting_api.assessment import service
from services.reporting_api.db import DatabaseDep
from services.reporting_api.periods.calendar import PERIOD_PATTERN

router = api_router("assessment")
PeriodId = Annotated[str, Path(pattern=PERIOD_PATTERN, description="2024-Q1, 2024-H1 or 2024.")]


class ClosedPeriodPublic(BaseModel):
    """A closed period and what it said when it closed (compliance, roll-ups, traffic lights, indicators)."""

    plan_id: int
    period: str
    closed_by: str
    closed_at: datetime
    snapshot: dict[str, Any] = Field(description="The period's figures as they stood when it was closed (关账快照).")


class Assessment(BaseModel):
    """年度综合考核: each unit's score (0–100) with the metrics and weights behind it, ranked."""

    plan_id: int
    year: int = Field(description="The year assessed (考核年度).")
    periods: list[str] = Field(description="The closed periods the assessment is computed from.")
    weights: dict[str, float]
    departments: list[dict[str, Any]] = Field(description="Scores of the departments (部门考核得分), best first.")
    counties: list[dict[str, Any]] = Field(description="Scores of the counties (县市区考核得分), best first.")


@router.post("/plans/{plan_id}/periods/{period}/close", summary="Close a period and freeze its snapshot",
             status_code=201, responses={**problem_responses(404, 409, 503)})
async def close_period(plan_id: int, period: PeriodId, response: Response, db: DatabaseDep, tasks: TasksDep,
                       principal: Staff,
                       as_of: Annotated[date | None, Query(description="Look from this day (default today).")] = None,
                       ) -> ClosedPeriodPublic:
    closed = await service.close_period(db, tasks, plan_id=plan_id, period=period,
                                        today=as_of or clock.business_today(), principal=principal)
    response.headers["Location"] = f"/v1/plans/{plan_id}/periods/{period}/snapshot"
    return closed


@router.get("/plans/{plan_id}/periods/{period}/snapshot", summary="The frozen snapshot of a closed period",
            responses=READ_ERRORS)
async def get_period_snapshot(plan_id: int, period: PeriodId, db: DatabaseDep, _: Staff) -> ClosedPeriodPublic:
    return await service.get_snapshot(db, plan_id=plan_id, period=period)


@router.get("/plans/{plan_id}/assessment", summary="The annual assessment (年度综合考核) of every unit",
            responses={**READ_ERRORS, **problem_responses(503)})
async def get_annual_assessment(plan_id: int, db: DatabaseDep, tasks: TasksDep, principal: CurrentPrincipal,
                                year: Annotated[int, Query(ge=2000, le=2100)]) -> Assessment:
    return await service.annual_assessment(db, tasks, plan_id=plan_id, year=year, principal=principal)
