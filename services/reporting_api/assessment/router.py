"""HTTP routes for closing periods and the annual assessment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path, Query, Response
from pydantic import BaseModel, Field

from services.common import clock
from services.common.auth import PrincipalDep, Staff
from services.common.documents import (
    DocumentNumber,
    Issuer,
    docx_download,
    docx_response,
    plan_office,
)
from services.common.etag import IfMatch, expected_version, set_etag
from services.common.identifiers import PERIOD_PATTERN
from services.common.problems import problem_responses
from services.common.routing import (
    GUARDED_WRITE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    api_router,
    links_to_created,
    set_created,
)
from services.reporting_api.assessment import service
from services.reporting_api.assessment.documents import assessment_document
from services.reporting_api.assessment.schemas import AdjustmentCreate, AdjustmentList, AdjustmentPublic, Assessment
from services.reporting_api.deps import DatabaseDep, TasksDep

router = api_router("assessment")
PeriodId = Annotated[str, Path(pattern=PERIOD_PATTERN, description="2024-Q1, 2024-H1 or 2024.")]
Year = Annotated[int, Query(ge=2000, le=2100, description="The year assessed (考核年度).")]
PEER_ERRORS = problem_responses(503)


class ClosedPeriodPublic(BaseModel):
    """A closed period and what it said when it closed (compliance, roll-ups, traffic lights, indicators)."""

    plan_id: int
    period: str
    closed_by: str
    closed_at: datetime
    snapshot: dict[str, Any] = Field(description="The period's figures as they stood when it was closed (关账快照).")


@router.post(
    "/plans/{plan_id}/periods/{period}/close",
    summary="Close a period and freeze its snapshot",
    status_code=201,
    responses={**problem_responses(404, 409, 503)},
)
async def close_period(
    plan_id: int,
    period: PeriodId,
    response: Response,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: Staff,
    as_of: Annotated[date | None, Query(description="Look from this day (default today).")] = None,
) -> ClosedPeriodPublic:
    closed = await service.close_period(
        db, tasks, plan_id=plan_id, period=period, today=as_of or clock.business_today(), principal=principal
    )
    response.headers["Location"] = f"/v1/plans/{plan_id}/periods/{period}/snapshot"
    return ClosedPeriodPublic.model_validate(closed)


@router.get(
    "/plans/{plan_id}/periods/{period}/snapshot",
    summary="The frozen snapshot of a closed period",
    responses=READ_ERRORS,
)
async def get_period_snapshot(plan_id: int, period: PeriodId, db: DatabaseDep, _: Staff) -> ClosedPeriodPublic:
    return ClosedPeriodPublic.model_validate(await service.get_snapshot(db, plan_id=plan_id, period=period))


@router.get(
    "/plans/{plan_id}/assessment",
    summary="The annual assessment (年度综合考核), ranked within each list",
    responses={**READ_ERRORS, **PEER_ERRORS},
)
async def get_annual_assessment(
    plan_id: int, db: DatabaseDep, tasks: TasksDep, principal: PrincipalDep, year: Year
) -> Assessment:
    return await service.annual_assessment(db, tasks, plan_id=plan_id, year=year, principal=principal)


@router.get(
    "/plans/{plan_id}/assessment.docx",
    summary="The annual assessment as an official document (年度综合考核结果通报, .docx)",
    description="The same lists and ranks as `GET /v1/plans/{plan_id}/assessment`, in the layout of GB/T 9704: the "
    "issuer over a red rule, the document number, the title, one table per list (rank, unit, score parts, bonus and "
    "penalty points, total, why), the signature block. For the office.",
    response_class=Response,
    responses={
        **docx_response("The assessment."),
        **READ_ERRORS,
        **PEER_ERRORS,
    },
)
async def get_assessment_document(
    plan_id: int,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: Staff,
    year: Year,
    number: DocumentNumber = None,
    issuer: Issuer = None,
    on: Annotated[date | None, Query(alias="date", description="成文日期 (default: today in Asia/Shanghai).")] = None,
) -> Response:
    plan = await tasks.plan(plan_id)  # 404 for an unknown plan, before any work
    assessment = await service.annual_assessment(db, tasks, plan_id=plan_id, year=year, principal=principal)
    document = assessment_document(
        assessment,
        plan_title=plan.title,
        issuer=issuer or await plan_office(tasks, plan_id),
        number=number,
        issued_on=on or clock.business_today(),
    )
    return docx_download(
        document, ascii_name=f"assessment-{plan_id}-{year}.docx", name=f"{year}年度综合考核结果通报.docx"
    )


@router.get(
    "/plans/{plan_id}/assessment/adjustments",
    summary="The bonus and penalty points of a year (考核加减分)",
    responses=READ_ERRORS,
)
async def list_assessment_adjustments(plan_id: int, db: DatabaseDep, _: Staff, year: Year) -> AdjustmentList:
    return AdjustmentList(data=await service.list_adjustments(db, plan_id=plan_id, year=year))


@router.post(
    "/plans/{plan_id}/assessment/adjustments",
    summary="Give a unit bonus or penalty points for a year",
    status_code=201,
    responses={
        **WRITE_ERRORS,
        **PEER_ERRORS,
        **links_to_created(
            "adjustment_id", read=("get_assessment_adjustment",), guarded=("delete_assessment_adjustment",)
        ),
    },
)
async def create_assessment_adjustment(
    plan_id: int,
    data: AdjustmentCreate,
    response: Response,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: Staff,
    year: Year,
) -> AdjustmentPublic:
    adjustment = await service.create_adjustment(db, tasks, plan_id=plan_id, year=year, data=data, actor=principal)
    set_created(response, f"/v1/plans/{plan_id}/assessment/adjustments/{adjustment.id}", adjustment.version)
    return adjustment


@router.get(
    "/plans/{plan_id}/assessment/adjustments/{adjustment_id}",
    summary="Read one bonus or penalty",
    responses=READ_ERRORS,
)
async def get_assessment_adjustment(
    plan_id: int, adjustment_id: int, response: Response, db: DatabaseDep, _: Staff
) -> AdjustmentPublic:
    adjustment = await service.get_adjustment(db, plan_id=plan_id, adjustment_id=adjustment_id)
    set_etag(response, adjustment.version)
    return adjustment


@router.delete(
    "/plans/{plan_id}/assessment/adjustments/{adjustment_id}",
    summary="Withdraw a bonus or penalty",
    status_code=204,
    responses=GUARDED_WRITE_ERRORS,
)
async def delete_assessment_adjustment(
    plan_id: int, adjustment_id: int, db: DatabaseDep, principal: Staff, if_match: IfMatch = None
) -> Response:
    await service.delete_adjustment(
        db, plan_id=plan_id, adjustment_id=adjustment_id, version=expected_version(if_match), actor=principal
    )
    return Response(status_code=204)
