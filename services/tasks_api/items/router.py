"""HTTP routes for items: the filtered list, the tree, and single items."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Request, Response

from services.common.auth import PrincipalDep, Staff
from services.common.etag import IfMatch, expected_version
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_response
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
from services.tasks_api.deps import DatabaseDep
from services.tasks_api.items import service
from services.tasks_api.items.models import ItemKind, ItemStatus, Role
from services.tasks_api.items.pages import ItemFilters
from services.tasks_api.items.schemas import ItemCreate, ItemDuty, ItemPublic, ItemUpdate, LeaderRef, TreeNode

router = api_router("items")


class ItemDetail(ItemPublic):
    """An item with its responsible units and lead leaders (任务详情)."""

    responsibilities: list[ItemDuty]
    lead_leaders: list[LeaderRef]


@list_page(
    router,
    "/plans/{plan_id}/items",
    summary="List a plan's items, filtered",
    response_model=Page[ItemPublic],
    responses=READ_ERRORS,
)
async def list_plan_items(
    plan_id: int,
    request: Request,
    db: DatabaseDep,
    _: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    kind: ItemKind | None = None,
    parent_id: Annotated[int | None, Query(description="Only direct children of this item.")] = None,
    unit_id: Annotated[int | None, Query(description="Only items this unit is responsible for.")] = None,
    role: Annotated[Role | None, Query(description="With unit_id: only as lead or as co-operating unit.")] = None,
    status: ItemStatus | None = None,
    due_before: Annotated[date | None, Query(description="Due on or before this date.")] = None,
    due_after: Annotated[date | None, Query(description="Due on or after this date.")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="Text in number, title or text.")] = None,
    number: ItemNumber = None,
) -> Response:
    filters = ItemFilters(plan_id, kind, parent_id, unit_id, role, status, due_before, due_after, q, number)
    rows = await service.list_items(db, filters, after_id=decode_id_cursor(cursor), limit=limit)
    # The hot list: rows go straight to orjson, skipping a re-validation of data the database typed already.
    return page_response(rows, limit, request)


@router.post(
    "/plans/{plan_id}/items",
    summary="Add an item to a plan (立项)",
    status_code=201,
    responses={
        **WRITE_ERRORS,
        **links_to_created("item_id", read=("get_item",), guarded=("update_item", "delete_item")),
    },
)
async def create_item(
    plan_id: int, data: ItemCreate, response: Response, db: DatabaseDep, principal: Staff
) -> ItemPublic:
    item = await service.create_item(db, plan_id=plan_id, data=data, actor=principal)
    return created(response, ItemPublic, item, f"/v1/items/{item['id']}")


@router.get("/plans/{plan_id}/tree", summary="The item tree of a plan", responses=READ_ERRORS)
async def get_plan_tree(plan_id: int, db: DatabaseDep, _: PrincipalDep) -> list[TreeNode]:
    return await service.plan_tree(db, plan_id=plan_id)


@router.get("/items/{item_id}", summary="Read an item with its units and lead leaders", responses=READ_ERRORS)
async def get_item(item_id: int, response: Response, db: DatabaseDep, _: PrincipalDep) -> ItemDetail:
    return current(response, ItemDetail, await service.get_item(db, item_id=item_id))


@router.patch("/items/{item_id}", summary="Change an item", responses=GUARDED_WRITE_ERRORS)
async def update_item(
    item_id: int, data: ItemUpdate, response: Response, db: DatabaseDep, principal: Staff, if_match: IfMatch = None
) -> ItemPublic:
    item = await service.update_item(
        db, item_id=item_id, data=data, version=expected_version(if_match), actor=principal
    )
    return current(response, ItemPublic, item)


@router.delete(
    "/items/{item_id}", summary="Delete an item and its sub-items", status_code=204, responses=GUARDED_WRITE_ERRORS
)
async def delete_item(item_id: int, db: DatabaseDep, principal: Staff, if_match: IfMatch = None) -> Response:
    await service.delete_item(db, item_id=item_id, version=expected_version(if_match), actor=principal)
    return Response(status_code=204)
