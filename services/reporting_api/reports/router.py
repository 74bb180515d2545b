"""HTTP routes for progress reports: file, edit, submit, review, and read their versions and history."""

from __future__ import annotations

from operator import itemgetter
from typing import Annotated

from fastapi import Query, Request, Response

from services.common.auth import PrincipalDep, Staff
from services.common.bulk import BulkResult
from services.common.etag import IfMatch, expected_version, seen_version
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of, page_response, rows_after
from services.common.problems import problem_responses
from services.common.routing import (
    GUARDED_WRITE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    ItemNumber,
    api_router,
    created,
    current,
    links_to_created,
    list_page,
)
from services.reporting_api.deps import DatabaseDep, TasksDep
from services.reporting_api.reports import bulk, service, workflow
from services.reporting_api.reports.models import ReportStatus
from services.reporting_api.reports.pages import ReportFilters
from services.reporting_api.reports.schemas import (
    ReopenRequest,
    ReportCreate,
    ReportPublic,
    ReportUpdate,
    ReviewCreate,
    SubmitRequest,
    TransitionPublic,
    VersionPublic,
    WithdrawRequest,
)

router = api_router("reports")
PEER_ERRORS = problem_responses(503)
# Workflow steps take If-Match when the caller has it (412 when stale); without it the step is still a
# compare-and-set on the report as its transaction read it, and losing a race is 409.
STEP_ERRORS = problem_responses(404, 409, 412, 503)


@router.post(
    "/reports",
    summary="File a progress report (draft)",
    status_code=201,
    responses={
        **WRITE_ERRORS,
        **PEER_ERRORS,
        **links_to_created(
            "report_id", read=("get_report", "list_report_versions"), guarded=("update_report", "delete_report")
        ),
    },
)
async def create_report(
    data: ReportCreate, response: Response, db: DatabaseDep, tasks: TasksDep, principal: PrincipalDep
) -> ReportPublic:
    report = await service.create_report(db, tasks, data=data, principal=principal)
    return created(response, ReportPublic, report, f"/v1/reports/{report['id']}")


@list_page(
    router,
    "/reports",
    summary="List reports",
    response_model=Page[ReportPublic],
    responses={**READ_ERRORS, **PEER_ERRORS},
)
async def list_reports(
    request: Request,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    plan_id: int | None = None,
    item_id: int | None = None,
    unit_id: int | None = None,
    period: Annotated[str | None, Query(max_length=10)] = None,
    status: ReportStatus | None = None,
    late: bool | None = None,
    item_number: ItemNumber = None,
) -> Response:
    filters = ReportFilters(plan_id, item_id, unit_id, period, status, late)
    after_id = decode_id_cursor(cursor)
    rows = await service.list_reports(
        db, tasks, filters, principal=principal, after_id=after_id, limit=limit, item_number=item_number
    )
    # A hot list: rows go straight to orjson, skipping a re-validation of 50 rows the database typed already.
    return page_response(rows, limit, request)


@router.get("/reports/{report_id}", summary="Read a report", responses={**READ_ERRORS, **PEER_ERRORS})
async def get_report(
    report_id: int, response: Response, db: DatabaseDep, tasks: TasksDep, principal: PrincipalDep
) -> ReportPublic:
    return current(
        response, ReportPublic, await service.read_report(db, tasks, report_id=report_id, principal=principal)
    )


@router.patch(
    "/reports/{report_id}", summary="Edit a draft or returned report", responses={**GUARDED_WRITE_ERRORS, **PEER_ERRORS}
)
async def update_report(
    report_id: int,
    data: ReportUpdate,
    response: Response,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> ReportPublic:
    report = await service.update_report(
        db, tasks, report_id=report_id, data=data, version=expected_version(if_match), principal=principal
    )
    return current(response, ReportPublic, report)


@router.delete(
    "/reports/{report_id}",
    summary="Delete a draft that was never submitted",
    status_code=204,
    responses={**GUARDED_WRITE_ERRORS, **PEER_ERRORS},
)
async def delete_report(
    report_id: int, db: DatabaseDep, tasks: TasksDep, principal: PrincipalDep, if_match: IfMatch = None
) -> Response:
    await service.delete_report(db, tasks, report_id=report_id, version=expected_version(if_match), principal=principal)
    return Response(status_code=204)


@router.post("/reports/{report_id}/submit", summary="Submit a report (报送)", responses=STEP_ERRORS)
async def submit_report(
    report_id: int,
    response: Response,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: PrincipalDep,
    data: SubmitRequest | None = None,
    if_match: IfMatch = None,
) -> ReportPublic:
    report = await workflow.submit_report(
        db,
        tasks,
        report_id=report_id,
        principal=principal,
        comment=data.comment if data else None,
        version=seen_version(if_match),
    )
    return current(response, ReportPublic, report)


@router.post(
    "/reports/{report_id}/withdraw", summary="Take back a submission not yet reviewed (撤回)", responses=STEP_ERRORS
)
async def withdraw_report(
    report_id: int,
    response: Response,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: PrincipalDep,
    data: WithdrawRequest | None = None,
    if_match: IfMatch = None,
) -> ReportPublic:
    report = await workflow.withdraw_report(
        db,
        tasks,
        report_id=report_id,
        principal=principal,
        comment=data.comment if data else None,
        version=seen_version(if_match),
    )
    return current(response, ReportPublic, report)


@router.post(
    "/reports/{report_id}/review",
    summary="Accept or return a submitted report (审核)",
    description="Needs If-Match with the ETag of the report as the reviewer read it: 428 without it, 412 "
    "when the report changed since (another reviewer decided first, or the unit withdrew it). The office reviews "
    "the responsible units' reports; a delegate's report (role `delegate`, 转办) is reviewed by the unit that "
    "delegated the item to it, not the office.",
    responses={**GUARDED_WRITE_ERRORS, **PEER_ERRORS},
)
async def review_report(
    report_id: int,
    data: ReviewCreate,
    response: Response,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> ReportPublic:
    version = seen_version(if_match)  # required: 428 without it, once the reviewer may review at all
    return current(
        response,
        ReportPublic,
        await workflow.review_report(db, tasks, report_id=report_id, review=data, version=version, principal=principal),
    )


@router.post(
    "/reports/reviews",
    summary="Accept or return many submitted reports at once (批量审核)",
    description="Each element is reviewed as POST /v1/reports/{id}/review does it, in its own transaction, its "
    "`etag` standing for that call's If-Match: a report that changed since is refused with the 412 problem, the "
    "others go through. The answer gives a result per report (with its new ETag, or the problem); a report named "
    "twice is refused whole (422). Recorded in each report's history and in /v1/history/bulk_review/{plan_id}.",
    responses=problem_responses(422),
)
async def review_reports(data: bulk.ReviewBatch, db: DatabaseDep, tasks: TasksDep, principal: Staff) -> BulkResult:
    return await bulk.review_many(db, tasks, batch=data, principal=principal)


@router.post(
    "/reports/{report_id}/reopen", summary="Reopen a reviewed report for a correction (重新打开)", responses=STEP_ERRORS
)
async def reopen_report(
    report_id: int, data: ReopenRequest, response: Response, db: DatabaseDep, principal: Staff, if_match: IfMatch = None
) -> ReportPublic:
    return current(
        response,
        ReportPublic,
        await workflow.reopen_report(
            db, report_id=report_id, request=data, version=seen_version(if_match), principal=principal
        ),
    )


@router.get(
    "/reports/{report_id}/versions",
    summary="Every submitted version of a report, oldest first",
    response_model=Page[VersionPublic],
    responses={**READ_ERRORS, **PEER_ERRORS},
)
async def list_report_versions(
    report_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[VersionPublic]:
    # A report's versions are few: read whole, paged by their number like any list.
    rows = await service.report_versions(db, tasks, report_id=report_id, principal=principal)
    by_number = itemgetter("number")
    after = rows_after(rows, decode_id_cursor(cursor), limit, by_number)
    return page_of(Page[VersionPublic], after, limit, request, response, by_number)


@router.get(
    "/reports/{report_id}/history",
    summary="The workflow history of a report, oldest first",
    response_model=Page[TransitionPublic],
    responses={**READ_ERRORS, **PEER_ERRORS},
)
async def get_report_history(
    report_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[TransitionPublic]:
    rows = await service.report_transitions(db, tasks, report_id=report_id, principal=principal)
    after = rows_after(rows, decode_id_cursor(cursor), limit, itemgetter("id"))
    return page_of(Page[TransitionPublic], after, limit, request, response)
