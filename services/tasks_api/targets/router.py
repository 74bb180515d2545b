"""HTTP routes for indicators (指标), milestones (节点) and lead leaders (牵头领导) of an item."""

from __future__ import annotations

from fastapi import Request, Response

from services.common.auth import PrincipalDep, Staff, Writer
from services.common.etag import IfMatch, expected_version
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, decode_tuple_cursor, page_of, strict_int
from services.common.routing import (
    GUARDED_WRITE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    api_router,
    created,
    current,
    links_to_created,
)
from services.tasks_api.deps import DatabaseDep
from services.tasks_api.targets import service
from services.tasks_api.targets.repository import ItemLeaderRow
from services.tasks_api.targets.schemas import (
    IndicatorCreate,
    IndicatorPublic,
    IndicatorUpdate,
    ItemLeaderCreate,
    ItemLeaderPublic,
    MilestoneCreate,
    MilestonePublic,
    MilestoneUpdate,
    PlanItemLeader,
)

router = api_router("targets")


# -- indicators -------------------------------------------------------------------------------------


@router.get("/items/{item_id}/indicators", summary="The indicators of an item", responses=READ_ERRORS)
async def list_item_indicators(
    item_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    _: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[IndicatorPublic]:
    rows = await service.list_indicators(db, item_id=item_id, after_id=decode_id_cursor(cursor), limit=limit)
    return page_of(Page[IndicatorPublic], rows, limit, request, response)


@router.post(
    "/items/{item_id}/indicators",
    summary="Add an indicator to an item",
    status_code=201,
    responses={
        **WRITE_ERRORS,
        **links_to_created("indicator_id", read=("get_indicator",), guarded=("update_indicator", "delete_indicator")),
    },
)
async def create_indicator(
    item_id: int, data: IndicatorCreate, response: Response, db: DatabaseDep, principal: Staff
) -> IndicatorPublic:
    row = await service.create_indicator(db, item_id=item_id, data=data, actor=principal)
    return created(response, IndicatorPublic, row, f"/v1/indicators/{row['id']}")


@router.get("/indicators/{indicator_id}", summary="Read an indicator", responses=READ_ERRORS)
async def get_indicator(indicator_id: int, response: Response, db: DatabaseDep, _: PrincipalDep) -> IndicatorPublic:
    return current(response, IndicatorPublic, await service.get_indicator(db, indicator_id=indicator_id))


@router.patch("/indicators/{indicator_id}", summary="Change an indicator", responses=GUARDED_WRITE_ERRORS)
async def update_indicator(
    indicator_id: int,
    data: IndicatorUpdate,
    response: Response,
    db: DatabaseDep,
    principal: Staff,
    if_match: IfMatch = None,
) -> IndicatorPublic:
    row = await service.update_indicator(
        db, indicator_id=indicator_id, data=data, version=expected_version(if_match), actor=principal
    )
    return current(response, IndicatorPublic, row)


@router.delete(
    "/indicators/{indicator_id}", summary="Delete an indicator", status_code=204, responses=GUARDED_WRITE_ERRORS
)
async def delete_indicator(indicator_id: int, db: DatabaseDep, principal: Staff, if_match: IfMatch = None) -> Response:
    await service.delete_indicator(db, indicator_id=indicator_id, version=expected_version(if_match), actor=principal)
    return Response(status_code=204)


# -- milestones -------------------------------------------------------------------------------------


@router.get("/items/{item_id}/milestones", summary="The milestones of an item", responses=READ_ERRORS)
async def list_item_milestones(
    item_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    _: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[MilestonePublic]:
    rows = await service.list_milestones(db, item_id=item_id, after_id=decode_id_cursor(cursor), limit=limit)
    return page_of(Page[MilestonePublic], rows, limit, request, response)


@router.post(
    "/items/{item_id}/milestones",
    summary="Add a milestone to an item",
    status_code=201,
    responses={
        **WRITE_ERRORS,
        **links_to_created("milestone_id", read=("get_milestone",), guarded=("update_milestone", "delete_milestone")),
    },
)
async def create_milestone(
    item_id: int, data: MilestoneCreate, response: Response, db: DatabaseDep, principal: Staff
) -> MilestonePublic:
    row = await service.create_milestone(db, item_id=item_id, data=data, actor=principal)
    return created(response, MilestonePublic, row, f"/v1/milestones/{row['id']}")


@router.get("/milestones/{milestone_id}", summary="Read a milestone", responses=READ_ERRORS)
async def get_milestone(milestone_id: int, response: Response, db: DatabaseDep, _: PrincipalDep) -> MilestonePublic:
    return current(response, MilestonePublic, await service.get_milestone(db, milestone_id=milestone_id))


@router.patch(
    "/milestones/{milestone_id}",
    summary="Change a milestone, or mark it done (a responsible unit may)",
    responses=GUARDED_WRITE_ERRORS,
)
async def update_milestone(
    milestone_id: int,
    data: MilestoneUpdate,
    response: Response,
    db: DatabaseDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> MilestonePublic:
    row = await service.update_milestone(
        db, milestone_id=milestone_id, data=data, version=expected_version(if_match), principal=principal
    )
    return current(response, MilestonePublic, row)


@router.delete(
    "/milestones/{milestone_id}", summary="Delete a milestone", status_code=204, responses=GUARDED_WRITE_ERRORS
)
async def delete_milestone(milestone_id: int, db: DatabaseDep, principal: Staff, if_match: IfMatch = None) -> Response:
    await service.delete_milestone(db, milestone_id=milestone_id, version=expected_version(if_match), actor=principal)
    return Response(status_code=204)


# -- lead leaders (牵头领导) -------------------------------------------------------------------------


def _leader_order(row: ItemLeaderRow) -> tuple[int, int]:
    return row["position"], row["leader_id"]


@router.get("/items/{item_id}/leaders", summary="The lead leaders of an item, in printed order", responses=READ_ERRORS)
async def list_item_leaders(
    item_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    _: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ItemLeaderPublic]:
    rows = await service.list_item_leaders(
        db, item_id=item_id, limit=limit, after=decode_tuple_cursor(cursor, strict_int, strict_int)
    )
    return page_of(Page[ItemLeaderPublic], rows, limit, request, response, key=_leader_order)


@router.post(
    "/items/{item_id}/leaders", summary="Name a lead leader for an item", status_code=201, responses=WRITE_ERRORS
)
async def add_item_leader(
    item_id: int, data: ItemLeaderCreate, response: Response, db: DatabaseDep, principal: Staff
) -> ItemLeaderPublic:
    row = await service.add_item_leader(db, item_id=item_id, data=data, actor=principal)
    return created(response, ItemLeaderPublic, row, f"/v1/items/{item_id}/leaders/{row['leader_id']}")


@router.get("/items/{item_id}/leaders/{leader_id}", summary="Read one lead leader of an item", responses=READ_ERRORS)
async def get_item_leader(item_id: int, leader_id: int, db: DatabaseDep, _: PrincipalDep) -> ItemLeaderPublic:
    return ItemLeaderPublic.model_validate(await service.get_item_leader(db, item_id=item_id, leader_id=leader_id))


@router.delete(
    "/items/{item_id}/leaders/{leader_id}",
    summary="Remove a lead leader from an item",
    status_code=204,
    responses=WRITE_ERRORS,
)
async def remove_item_leader(item_id: int, leader_id: int, db: DatabaseDep, principal: Staff) -> Response:
    await service.remove_item_leader(db, item_id=item_id, leader_id=leader_id, actor=principal)
    return Response(status_code=204)


# -- plan-wide ------------------------------------------------------------------------------------------


@router.get("/plans/{plan_id}/indicators", summary="Every indicator of a plan", responses=READ_ERRORS)
async def list_plan_indicators(
    plan_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    _: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[IndicatorPublic]:
    rows = await service.list_plan_indicators(db, plan_id=plan_id, after_id=decode_id_cursor(cursor), limit=limit)
    return page_of(Page[IndicatorPublic], rows, limit, request, response)


@router.get(
    "/plans/{plan_id}/item-leaders",
    summary="Every lead leader (牵头领导) of every item of a plan",
    responses=READ_ERRORS,
)
async def list_plan_item_leaders(
    plan_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    _: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PlanItemLeader]:
    rows = await service.list_plan_item_leaders(db, plan_id=plan_id, after_id=decode_id_cursor(cursor), limit=limit)
    return page_of(Page[PlanItemLeader], rows, limit, request, response)
