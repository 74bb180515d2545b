"""HTTP routes of the close-out workflow (办结销号)."""

from __future__ import annotations

from fastapi import Request, Response

from services.common.auth import PrincipalDep, Staff, Writer
from services.common.etag import IfMatch, expected_version
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of
from services.common.routing import GUARDED_WRITE_ERRORS, READ_ERRORS, api_router, created, current
from services.tasks_api.closeout import service
from services.tasks_api.closeout.schemas import CloseoutCreate, CloseoutDecision, CloseoutPublic, Reopening
from services.tasks_api.deps import DatabaseDep
from services.tasks_api.items.schemas import ItemPublic

router = api_router("closeout")


@router.post(
    "/items/{item_id}/closeout",
    summary="Request an item's close-out (办结销号申请), as its lead unit",
    status_code=201,
    responses=GUARDED_WRITE_ERRORS,
)
async def request_closeout(
    item_id: int, data: CloseoutCreate, response: Response, db: DatabaseDep, principal: Writer, if_match: IfMatch = None
) -> CloseoutPublic:
    row = await service.request_closeout(
        db, item_id=item_id, data=data, version=expected_version(if_match), principal=principal
    )
    return created(response, CloseoutPublic, row, f"/v1/closeouts/{row['id']}")


@router.get("/items/{item_id}/closeouts", summary="The close-out requests of an item", responses=READ_ERRORS)
async def list_item_closeouts(
    item_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CloseoutPublic]:
    rows = await service.list_closeouts(
        db, item_id=item_id, principal=principal, after_id=decode_id_cursor(cursor), limit=limit
    )
    return page_of(Page[CloseoutPublic], rows, limit, request, response)


@router.get("/closeouts/{closeout_id}", summary="Read a close-out request", responses=READ_ERRORS)
async def get_closeout(
    closeout_id: int, response: Response, db: DatabaseDep, principal: PrincipalDep
) -> CloseoutPublic:
    return current(
        response, CloseoutPublic, await service.get_closeout(db, closeout_id=closeout_id, principal=principal)
    )


@router.post(
    "/closeouts/{closeout_id}/decision",
    summary="Approve (销号) or refuse (退回) a close-out request",
    responses=GUARDED_WRITE_ERRORS,
)
async def decide_closeout(
    closeout_id: int,
    data: CloseoutDecision,
    response: Response,
    db: DatabaseDep,
    principal: Staff,
    if_match: IfMatch = None,
) -> CloseoutPublic:
    row = await service.decide_closeout(
        db, closeout_id=closeout_id, data=data, version=expected_version(if_match), actor=principal
    )
    return current(response, CloseoutPublic, row)


@router.post(
    "/items/{item_id}/reopen", summary="Reopen a closed item (重新打开), with a reason", responses=GUARDED_WRITE_ERRORS
)
async def reopen_item(
    item_id: int, data: Reopening, response: Response, db: DatabaseDep, principal: Staff, if_match: IfMatch = None
) -> ItemPublic:
    return current(
        response,
        ItemPublic,
        await service.reopen_item(db, item_id=item_id, data=data, version=expected_version(if_match), actor=principal),
    )
