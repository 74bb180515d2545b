"""HTTP routes for units (责任单位) and the items each is responsible for."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query, Request, Response
from pydantic import Field

from services.common.auth import PrincipalDep, Staff
from services.common.etag import IfMatch, expected_version
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of, page_response
from services.common.routing import (
    GUARDED_WRITE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    ItemNumber,
    api_router,
    created,
    current,
    links_to_created,
)
from services.tasks_api.deps import DatabaseDep
from services.tasks_api.items.models import Role
from services.tasks_api.items.schemas import ItemPublic
from services.tasks_api.tables import UnitKind
from services.tasks_api.units import service
from services.tasks_api.units.schemas import UnitCreate, UnitPublic, UnitUpdate

router = api_router("units")


class UnitItem(ItemPublic):
    """An item a unit is responsible for, with the unit's part in it."""

    role: Role = Field(description="lead (牵头) or co (配合).")
    acknowledged_at: datetime | None = Field(description="When the unit acknowledged (签收) the assignment.")


@router.get("/units", summary="List units")
async def list_units(
    request: Request,
    response: Response,
    db: DatabaseDep,
    _: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    kind: UnitKind | None = None,
    name: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Any spelling of the unit's name, e.g. 市委组织部〔人才办〕."),
    ] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="Text in the unit's name.")] = None,
) -> Page[UnitPublic]:
    rows = await service.list_units(db, after_id=decode_id_cursor(cursor), limit=limit, kind=kind, name=name, q=q)
    return page_of(Page[UnitPublic], rows, limit, request, response)


@router.post(
    "/units",
    summary="Register a unit with its other spellings",
    status_code=201,
    responses={
        **WRITE_ERRORS,
        **links_to_created("unit_id", read=("get_unit",), guarded=("update_unit", "delete_unit")),
    },
)
async def create_unit(data: UnitCreate, response: Response, db: DatabaseDep, principal: Staff) -> UnitPublic:
    unit = await service.create_unit(db, data=data, actor=principal)
    return created(response, UnitPublic, unit, f"/v1/units/{unit['id']}")


@router.get("/units/{unit_id}", summary="Read a unit", responses=READ_ERRORS)
async def get_unit(unit_id: int, response: Response, db: DatabaseDep, _: PrincipalDep) -> UnitPublic:
    return current(response, UnitPublic, await service.get_unit(db, unit_id=unit_id))


@router.patch(
    "/units/{unit_id}", summary="Change a unit or replace its other spellings", responses=GUARDED_WRITE_ERRORS
)
async def update_unit(
    unit_id: int, data: UnitUpdate, response: Response, db: DatabaseDep, principal: Staff, if_match: IfMatch = None
) -> UnitPublic:
    unit = await service.update_unit(
        db, unit_id=unit_id, data=data, version=expected_version(if_match), actor=principal
    )
    return current(response, UnitPublic, unit)


@router.delete(
    "/units/{unit_id}",
    summary="Delete a unit that is responsible for nothing",
    status_code=204,
    responses=GUARDED_WRITE_ERRORS,
)
async def delete_unit(unit_id: int, db: DatabaseDep, principal: Staff, if_match: IfMatch = None) -> Response:
    await service.delete_unit(db, unit_id=unit_id, version=expected_version(if_match), actor=principal)
    return Response(status_code=204)


@router.get(
    "/units/{unit_id}/items",
    summary="The items a unit is responsible for, with its role",
    response_model=Page[UnitItem],
    responses=READ_ERRORS,
)
async def list_unit_items(
    unit_id: int,
    request: Request,
    db: DatabaseDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    plan_id: Annotated[int | None, Query(description="Only items of this plan.")] = None,
    role: Annotated[Role | None, Query(description="Only as lead or only as co-operating unit.")] = None,
    item_number: ItemNumber = None,
) -> Response:
    rows = await service.list_unit_items(
        db,
        unit_id=unit_id,
        principal=principal,
        after_id=decode_id_cursor(cursor),
        limit=limit,
        plan_id=plan_id,
        role=role,
        item_number=item_number,
    )
    # A unit's work list is read often; its rows are typed by the database already, so they go straight out.
    return page_response(rows, limit, request)
