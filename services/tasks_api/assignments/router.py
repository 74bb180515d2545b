"""HTTP routes for responsibilities and their acknowledgements (签收)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field

from services.common.auth import PrincipalDep, Staff, Writer
from services.common.bulk import BulkResult
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
from services.common.routing import READ_ERRORS, WRITE_ERRORS, ItemNumber, api_router, created
from services.tasks_api.assignments import bulk, service
from services.tasks_api.assignments.schemas import AssignmentPublic
from services.tasks_api.deps import DatabaseDep, PlanFilter, UnitFilter
from services.tasks_api.items.repository import DutyRow
from services.tasks_api.items.schemas import (
    AssignedResponsibility,
    PlaceholderAssignment,
    ResponsibilityCreate,
    ResponsibilityPublic,
)

router = api_router("assignments")

Acknowledged = Annotated[bool | None, Query(description="true: only acknowledged (已签收); false: only not yet.")]


def _printed_order(row: DutyRow) -> tuple[int, int]:
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


@router.post(
    "/units/{unit_id}/acknowledgements",
    summary="Acknowledge many assignments of a unit at once (批量签收)",
    description="Each responsibility is acknowledged as POST /v1/responsibilities/{id}/acknowledgement does it, in "
    "its own transaction; the answer gives a result per responsibility (ok, or refused with the problem that call "
    "would answer). A unit token acknowledges only for its own unit. Recorded in each responsibility's history and "
    "in /v1/history/bulk_acknowledgement/{unit_id}.",
    responses=READ_ERRORS,
)
async def acknowledge_assignments(
    unit_id: int, data: bulk.AcknowledgementBatch, db: DatabaseDep, principal: Writer
) -> BulkResult:
    return await bulk.acknowledge_many(db, unit_id=unit_id, batch=data, principal=principal)


# The assignment lists are read in bulk by the other services (a plan's every row): their rows go straight to
# orjson, built typed by SQL already, instead of being validated into the page model and dumped again.


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
    item_number: ItemNumber = None,
) -> Response:
    rows = await service.unit_assignments(
        db,
        unit_id=unit_id,
        principal=principal,
        after_id=decode_id_cursor(cursor),
        limit=limit,
        plan_id=plan_id,
        acknowledged=acknowledged,
        item_number=item_number,
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
    item_number: ItemNumber = None,
) -> Response:
    rows = await service.plan_assignments(
        db,
        plan_id=plan_id,
        principal=principal,
        after_id=decode_id_cursor(cursor),
        limit=limit,
        unit_id=unit_id,
        acknowledged=acknowledged,
        item_number=item_number,
    )
    return page_response(rows, limit, request)
