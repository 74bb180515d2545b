"""HTTP routes for responsibilities, acknowledgements (签收), extensions (延期) and deadlines."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field

from services.common.auth import PrincipalDep, Staff, Writer
from services.common.pagination import (
    Cursor,
    Limit,
    Page,
    decode_id_cursor,
    decode_tuple_cursor,
    page_of,
    page_response,
    strict_int,
)
from services.common.routing import READ_ERRORS, WRITE_ERRORS, api_router, created, current
from services.tasks_api.assignments import deadlines, service
from services.tasks_api.assignments.deadlines import Deadline, DeadlineKind
from services.tasks_api.assignments.models import ExtensionCreate, ExtensionDecision, ExtensionPublic, ExtensionStatus
from services.tasks_api.assignments.service import AssignmentPublic
from services.tasks_api.deps import DatabaseDep
from services.tasks_api.items.models import (
    AssignedResponsibility,
    PlaceholderAssignment,
    ResponsibilityCreate,
    ResponsibilityPublic,
)

router = api_router("assignments")

Acknowledged = Annotated[bool | None, Query(description="true: only acknowledged (已签收); false: only not yet.")]
PlanFilter = Annotated[int | None, Query(description="Only rows of this plan.")]
UnitFilter = Annotated[int | None, Query(description="Only rows of this unit (a unit token: its own only).")]


def _printed_order(row: dict[str, Any]) -> tuple[int, int]:
    return row["position"], row["id"]


# -- responsibilities (责任分工, 交办) ------------------------------------------------------------------


@router.get(
    "/items/{item_id}/responsibilities",
    summary="The units responsible for an item, in printed order",
    responses=READ_ERRORS,
)
async def list_item_responsibilities(
    item_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    _: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ResponsibilityPublic]:
    rows = await service.list_responsibilities(
        db, item_id=item_id, limit=limit, after=decode_tuple_cursor(cursor, strict_int, strict_int)
    )
    return page_of(Page[ResponsibilityPublic], rows, limit, request, response, key=_printed_order)


@router.post(
    "/items/{item_id}/responsibilities",
    summary="Assign an item to a unit (交办)",
    status_code=201,
    responses=WRITE_ERRORS,
)
async def assign_unit_to_item(
    item_id: int, data: ResponsibilityCreate, response: Response, db: DatabaseDep, principal: Staff
) -> AssignedResponsibility:
    row = await service.assign_unit(db, item_id=item_id, data=data, actor=principal)
    return created(response, AssignedResponsibility, row, f"/v1/responsibilities/{row['id']}")


class PlaceholderAssigned(BaseModel):
    """The responsibilities that replaced a collective placeholder, in printed order."""

    replaced_id: int = Field(description="The placeholder's id; its deletion stays in its history.")
    data: list[AssignedResponsibility]


@router.post(
    "/responsibilities/{responsibility_id}/units",
    responses=WRITE_ERRORS,
    summary="Assign a collective placeholder (市级有关部门) to units (明确责任单位)",
)
async def assign_placeholder(
    responsibility_id: int, data: PlaceholderAssignment, db: DatabaseDep, principal: Staff
) -> PlaceholderAssigned:
    rows = await service.assign_placeholder(db, responsibility_id=responsibility_id, data=data, actor=principal)
    return PlaceholderAssigned(
        replaced_id=responsibility_id, data=[AssignedResponsibility.model_validate(r) for r in rows]
    )


@router.get("/responsibilities/{responsibility_id}", summary="Read one responsibility", responses=READ_ERRORS)
async def get_responsibility(responsibility_id: int, db: DatabaseDep, _: PrincipalDep) -> ResponsibilityPublic:
    return ResponsibilityPublic.model_validate(
        await service.get_responsibility(db, responsibility_id=responsibility_id)
    )


@router.delete(
    "/items/{item_id}/responsibilities/{responsibility_id}",
    summary="Withdraw an assignment",
    status_code=204,
    responses=WRITE_ERRORS,
)
async def unassign_unit_from_item(item_id: int, responsibility_id: int, db: DatabaseDep, principal: Staff) -> Response:
    await service.unassign_unit(db, item_id=item_id, responsibility_id=responsibility_id, actor=principal)
    return Response(status_code=204)


@router.post(
    "/responsibilities/{responsibility_id}/acknowledgement",
    summary="Acknowledge an assignment (签收); repeating it changes nothing",
    responses=READ_ERRORS,
)
async def acknowledge_assignment(responsibility_id: int, db: DatabaseDep, principal: Writer) -> AssignedResponsibility:
    return AssignedResponsibility.model_validate(
        await service.acknowledge(db, responsibility_id=responsibility_id, principal=principal)
    )


# The assignment and deadline lists are read in bulk by the other services (a plan's every row): their rows go
# straight to orjson, built typed by SQL already, instead of being validated into the page model and dumped again.


@router.get(
    "/units/{unit_id}/assignments",
    summary="A unit's assignments",
    response_model=Page[AssignmentPublic],
    responses=READ_ERRORS,
)
async def list_unit_assignments(
    unit_id: int,
    request: Request,
    db: DatabaseDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    acknowledged: Acknowledged = None,
    plan_id: PlanFilter = None,
) -> Response:
    rows = await service.unit_assignments(
        db,
        unit_id=unit_id,
        principal=principal,
        after_id=decode_id_cursor(cursor),
        limit=limit,
        plan_id=plan_id,
        acknowledged=acknowledged,
    )
    return page_response(rows, limit, request)


@router.get(
    "/plans/{plan_id}/assignments",
    summary="A plan's assignments",
    response_model=Page[AssignmentPublic],
    responses=READ_ERRORS,
)
async def list_plan_assignments(
    plan_id: int,
    request: Request,
    db: DatabaseDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    acknowledged: Acknowledged = None,
    unit_id: UnitFilter = None,
) -> Response:
    rows = await service.plan_assignments(
        db,
        plan_id=plan_id,
        principal=principal,
        after_id=decode_id_cursor(cursor),
        limit=limit,
        unit_id=unit_id,
        acknowledged=acknowledged,
    )
    return page_response(rows, limit, request)


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
    row = await deadlines.request_extension(db, item_id=item_id, data=data, principal=principal)
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
    rows = await deadlines.list_extensions(
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
    rows = await deadlines.list_extensions(
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
        response, ExtensionPublic, await deadlines.get_extension(db, extension_id=extension_id, principal=principal)
    )


@router.post(
    "/extensions/{extension_id}/decision",
    summary="Approve or reject an extension request (审核)",
    responses=WRITE_ERRORS,
)
async def decide_extension(
    extension_id: int, data: ExtensionDecision, response: Response, db: DatabaseDep, principal: Staff
) -> ExtensionPublic:
    row = await deadlines.decide_extension(db, extension_id=extension_id, data=data, actor=principal)
    return current(response, ExtensionPublic, row)


# -- deadlines --------------------------------------------------------------------------------------


def _deadline_key(row: dict[str, Any]) -> tuple[date, str, int]:
    return row["due_on"], row["kind"], row["id"]


@router.get(
    "/deadlines",
    summary="Everything due in a window: milestones, items, indicator targets",
    response_model=Page[Deadline],
)
async def list_deadlines(
    request: Request,
    db: DatabaseDep,
    principal: PrincipalDep,
    from_: Annotated[date, Query(alias="from", description="First day of the window.")],
    to: Annotated[date, Query(description=f"Last day of the window (at most {deadlines.MAX_WINDOW_DAYS} days on).")],
    limit: Limit = 50,
    cursor: Cursor = None,
    unit_id: UnitFilter = None,
    plan_id: PlanFilter = None,
    kind: DeadlineKind | None = None,
) -> Response:
    after = decode_tuple_cursor(cursor, date.fromisoformat, DeadlineKind, strict_int)
    rows = await deadlines.list_deadlines(
        db,
        principal=principal,
        from_=from_,
        to=to,
        after=after,
        limit=limit,
        unit_id=unit_id,
        plan_id=plan_id,
        kind=kind,
    )
    return page_response(rows, limit, request, key=_deadline_key)
