"""HTTP routes for extension requests (延期申请) and deadlines (the calendar notify_api reads)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Request, Response

from services.common.auth import PrincipalDep, Staff, Writer
from services.common.etag import NOT_MODIFIED, IfMatch, IfNoneMatch, conditional_json, seen_version
from services.common.json import render
from services.common.pagination import (
    BulkLimit,
    Cursor,
    Limit,
    Page,
    decode_id_cursor,
    decode_tuple_cursor,
    page_of,
    paginate,
    strict_int,
)
from services.common.problems import problem_responses
from services.common.routing import READ_ERRORS, WRITE_ERRORS, ItemNumber, api_router, created, current
from services.tasks_api.deadlines import service
from services.tasks_api.deadlines.models import ExtensionStatus
from services.tasks_api.deadlines.repository import DeadlineRow
from services.tasks_api.deadlines.schemas import (
    Deadline,
    DeadlineKind,
    ExtensionCreate,
    ExtensionDecision,
    ExtensionPublic,
)
from services.tasks_api.deps import DatabaseDep, PlanFilter, UnitFilter

# Tagged as the assignments routes were before the deadlines room moved out of them: the contract keeps its tags.
router = api_router("assignments")


# -- extension requests (延期申请) --------------------------------------------------------------------


@router.post(
    "/items/{item_id}/extensions",
    summary="Request a later due date (延期申请)",
    status_code=201,
    responses=WRITE_ERRORS,
)
async def request_extension(
    item_id: int, data: ExtensionCreate, response: Response, db: DatabaseDep, principal: Writer
) -> ExtensionPublic:
    row = await service.request_extension(db, item_id=item_id, data=data, principal=principal)
    return created(response, ExtensionPublic, row, f"/v1/extensions/{row['id']}")


@router.get("/items/{item_id}/extensions", summary="The extension requests of an item", responses=READ_ERRORS)
async def list_item_extensions(
    item_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ExtensionPublic]:
    rows = await service.list_extensions(
        db, principal=principal, item_id=item_id, after_id=decode_id_cursor(cursor), limit=limit
    )
    return page_of(Page[ExtensionPublic], rows, limit, request, response)


@router.get("/extensions", summary="Extension requests, filtered")
async def list_extensions(
    request: Request,
    response: Response,
    db: DatabaseDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: ExtensionStatus | None = None,
    plan_id: PlanFilter = None,
    unit_id: UnitFilter = None,
) -> Page[ExtensionPublic]:
    rows = await service.list_extensions(
        db,
        principal=principal,
        after_id=decode_id_cursor(cursor),
        limit=limit,
        status=status,
        plan_id=plan_id,
        unit_id=unit_id,
    )
    return page_of(Page[ExtensionPublic], rows, limit, request, response)


@router.get("/extensions/{extension_id}", summary="Read an extension request", responses=READ_ERRORS)
async def get_extension(
    extension_id: int, response: Response, db: DatabaseDep, principal: PrincipalDep
) -> ExtensionPublic:
    return current(
        response, ExtensionPublic, await service.get_extension(db, extension_id=extension_id, principal=principal)
    )


@router.post(
    "/extensions/{extension_id}/decision",
    summary="Approve or reject an extension request (审核)",
    responses=problem_responses(404, 409, 412),
)
async def decide_extension(
    extension_id: int,
    data: ExtensionDecision,
    response: Response,
    db: DatabaseDep,
    principal: Staff,
    if_match: IfMatch = None,
) -> ExtensionPublic:
    version = seen_version(if_match)  # when sent, the request as the office read it (412 when stale)
    row = await service.decide_extension(db, extension_id=extension_id, data=data, version=version, actor=principal)
    return current(response, ExtensionPublic, row)


# -- deadlines --------------------------------------------------------------------------------------


def _deadline_key(row: DeadlineRow) -> tuple[date, str, int]:
    return row["due_on"], row["kind"], row["id"]


# notify_api reads the whole calendar of a window in bulk: its rows go straight to orjson, typed by SQL already.
# Each page carries a digest ETag: a dispatch a minute after the last one sends it back and gets 304 for every page
# that did not change, keeping the rows it parsed then (services/common/revalidated.py).
@router.get(
    "/deadlines",
    summary="Everything due in a window: milestones, items, indicator targets",
    response_model=Page[Deadline],
    responses=NOT_MODIFIED,
)
async def list_deadlines(
    request: Request,
    db: DatabaseDep,
    principal: PrincipalDep,
    from_: Annotated[date, Query(alias="from", description="First day of the window.")],
    to: Annotated[date, Query(description=f"Last day of the window (at most {service.MAX_WINDOW_DAYS} days on).")],
    limit: BulkLimit = 50,
    cursor: Cursor = None,
    unit_id: UnitFilter = None,
    plan_id: PlanFilter = None,
    kind: DeadlineKind | None = None,
    item_number: ItemNumber = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    after = decode_tuple_cursor(cursor, date.fromisoformat, DeadlineKind, strict_int)
    rows = await service.list_deadlines(
        db,
        principal=principal,
        from_=from_,
        to=to,
        after=after,
        limit=limit,
        unit_id=unit_id,
        plan_id=plan_id,
        kind=kind,
        item_number=item_number,
    )
    page, headers = paginate(rows, limit, request, _deadline_key)
    return conditional_json(render(page), if_none_match, headers)
