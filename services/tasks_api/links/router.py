"""HTTP routes of plans linked across levels: what an item serves, the chain upward, and what serves an item."""

from __future__ import annotations

from operator import itemgetter

from fastapi import Request, Response

from services.common.auth import PrincipalDep, Staff
from services.common.etag import IfMatch, expected_version, set_etag
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of
from services.common.routing import GUARDED_WRITE_ERRORS, READ_ERRORS, api_router
from services.tasks_api.deps import DatabaseDep
from services.tasks_api.links import service
from services.tasks_api.links.schemas import ItemServes, LinkSet, PlacedItemPublic

router = api_router("links")


@router.get(
    "/items/{item_id}/serves",
    summary="What an item serves (上级任务), and the chain of higher-level items above it",
    responses=READ_ERRORS,
)
async def get_item_serves(item_id: int, response: Response, db: DatabaseDep, _: PrincipalDep) -> ItemServes:
    found = await service.serves_of(db, item_id=item_id)
    set_etag(response, found.version)
    return found


@router.put(
    "/items/{item_id}/serves",
    summary='Link an item to the higher-level item or external task it serves (If-Match: "0" for a first link)',
    responses=GUARDED_WRITE_ERRORS,
)
async def set_item_serves(
    item_id: int, data: LinkSet, response: Response, db: DatabaseDep, principal: Staff, if_match: IfMatch = None
) -> ItemServes:
    found = await service.set_link(db, item_id=item_id, data=data, version=expected_version(if_match), actor=principal)
    set_etag(response, found.version)
    return found


@router.delete("/items/{item_id}/serves", summary="Unlink an item", status_code=204, responses=GUARDED_WRITE_ERRORS)
async def delete_item_serves(item_id: int, db: DatabaseDep, principal: Staff, if_match: IfMatch = None) -> Response:
    await service.remove_link(db, item_id=item_id, version=expected_version(if_match), actor=principal)
    return Response(status_code=204)


@router.get(
    "/items/{item_id}/served-by",
    summary="The items of lower-level plans that serve an item (下级分解)",
    responses=READ_ERRORS,
)
async def list_item_served_by(
    item_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    _: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PlacedItemPublic]:
    rows = await service.served_by(db, item_id=item_id, after_id=decode_id_cursor(cursor), limit=limit)
    return page_of(Page[PlacedItemPublic], rows, limit, request, response, key=itemgetter("item_id"))
