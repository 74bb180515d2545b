"""HTTP routes for leaders, groups and group members."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from pydantic import Field

from services.common.auth import PrincipalDep, Staff
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
from services.tasks_api.people import service
from services.tasks_api.people.models import GroupKind
from services.tasks_api.people.schemas import (
    GroupCreate,
    GroupPublic,
    GroupUpdate,
    LeaderCreate,
    LeaderPublic,
    LeaderUpdate,
    MemberCreate,
    MemberPublic,
)

router = api_router("people")


class GroupMemberPublic(MemberPublic):
    """A leader's seat in a group (成员), with the leader's name."""

    leader_title: str | None = Field(description="The leader's title (职务), as printed.")


# -- leaders ----------------------------------------------------------------------------------------


@router.get("/leaders", summary="List leaders")
async def list_leaders(
    request: Request,
    response: Response,
    db: DatabaseDep,
    _: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    name: Annotated[str | None, Query(min_length=1, max_length=50, description="The leader's exact name.")] = None,
) -> Page[LeaderPublic]:
    rows = await service.list_leaders(db, after_id=decode_id_cursor(cursor), limit=limit, name=name)
    return page_of(Page[LeaderPublic], rows, limit, request, response)


@router.post(
    "/leaders",
    summary="Register a leader",
    status_code=201,
    responses={
        **WRITE_ERRORS,
        **links_to_created("leader_id", read=("get_leader",), guarded=("update_leader", "delete_leader")),
    },
)
async def create_leader(data: LeaderCreate, response: Response, db: DatabaseDep, principal: Staff) -> LeaderPublic:
    leader = await service.create_leader(db, data=data, actor=principal)
    return created(response, LeaderPublic, leader, f"/v1/leaders/{leader['id']}")


@router.get("/leaders/{leader_id}", summary="Read a leader", responses=READ_ERRORS)
async def get_leader(leader_id: int, response: Response, db: DatabaseDep, _: PrincipalDep) -> LeaderPublic:
    return current(response, LeaderPublic, await service.get_leader(db, leader_id=leader_id))


@router.patch("/leaders/{leader_id}", summary="Change a leader", responses=GUARDED_WRITE_ERRORS)
async def update_leader(
    leader_id: int, data: LeaderUpdate, response: Response, db: DatabaseDep, principal: Staff, if_match: IfMatch = None
) -> LeaderPublic:
    leader = await service.update_leader(
        db, leader_id=leader_id, data=data, version=expected_version(if_match), actor=principal
    )
    return current(response, LeaderPublic, leader)


@router.delete(
    "/leaders/{leader_id}",
    summary="Delete a leader who holds no seat and leads no item",
    status_code=204,
    responses=GUARDED_WRITE_ERRORS,
)
async def delete_leader(leader_id: int, db: DatabaseDep, principal: Staff, if_match: IfMatch = None) -> Response:
    await service.delete_leader(db, leader_id=leader_id, version=expected_version(if_match), actor=principal)
    return Response(status_code=204)


# -- groups -----------------------------------------------------------------------------------------


@router.get("/groups", summary="List groups")
async def list_groups(
    request: Request,
    response: Response,
    db: DatabaseDep,
    _: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    kind: GroupKind | None = None,
    plan_id: Annotated[int | None, Query(description="Only the groups of this plan.")] = None,
) -> Page[GroupPublic]:
    rows = await service.list_groups(db, after_id=decode_id_cursor(cursor), limit=limit, plan_id=plan_id, kind=kind)
    return page_of(Page[GroupPublic], rows, limit, request, response)


@router.post(
    "/groups",
    summary="Set up a group of a plan",
    status_code=201,
    responses={
        **WRITE_ERRORS,
        **links_to_created("group_id", read=("get_group",), guarded=("update_group", "delete_group")),
    },
)
async def create_group(data: GroupCreate, response: Response, db: DatabaseDep, principal: Staff) -> GroupPublic:
    group = await service.create_group(db, data=data, actor=principal)
    return created(response, GroupPublic, group, f"/v1/groups/{group['id']}")


@router.get("/groups/{group_id}", summary="Read a group", responses=READ_ERRORS)
async def get_group(group_id: int, response: Response, db: DatabaseDep, _: PrincipalDep) -> GroupPublic:
    return current(response, GroupPublic, await service.get_group(db, group_id=group_id))


@router.patch("/groups/{group_id}", summary="Change a group", responses=GUARDED_WRITE_ERRORS)
async def update_group(
    group_id: int, data: GroupUpdate, response: Response, db: DatabaseDep, principal: Staff, if_match: IfMatch = None
) -> GroupPublic:
    group = await service.update_group(
        db, group_id=group_id, data=data, version=expected_version(if_match), actor=principal
    )
    return current(response, GroupPublic, group)


@router.delete(
    "/groups/{group_id}", summary="Delete a group with its members", status_code=204, responses=GUARDED_WRITE_ERRORS
)
async def delete_group(group_id: int, db: DatabaseDep, principal: Staff, if_match: IfMatch = None) -> Response:
    await service.delete_group(db, group_id=group_id, version=expected_version(if_match), actor=principal)
    return Response(status_code=204)


# -- members ----------------------------------------------------------------------------------------


@router.get("/groups/{group_id}/members", summary="A group's members in printed order", responses=READ_ERRORS)
async def list_group_members(
    group_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    _: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[GroupMemberPublic]:
    rows = await service.list_members(
        db, group_id=group_id, after=decode_tuple_cursor(cursor, strict_int, strict_int), limit=limit
    )
    return page_of(Page[GroupMemberPublic], rows, limit, request, response, key=service.member_cursor)


@router.post(
    "/groups/{group_id}/members",
    summary="Seat a leader in a group, after the last member",
    status_code=201,
    responses=WRITE_ERRORS,
)
async def add_group_member(
    group_id: int, data: MemberCreate, response: Response, db: DatabaseDep, principal: Staff
) -> GroupMemberPublic:
    member = await service.add_member(db, group_id=group_id, data=data, actor=principal)
    return created(response, GroupMemberPublic, member, f"/v1/groups/{group_id}/members/{member['id']}")


@router.delete(
    "/groups/{group_id}/members/{member_id}",
    summary="Remove a member from a group",
    status_code=204,
    responses=READ_ERRORS,
)
async def remove_group_member(group_id: int, member_id: int, db: DatabaseDep, principal: Staff) -> Response:
    await service.remove_member(db, group_id=group_id, member_id=member_id, actor=principal)
    return Response(status_code=204)
