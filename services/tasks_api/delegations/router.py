"""HTTP routes of delegation (转办): pass part of an item down, acknowledge (签收), withdraw (撤回), read the chain."""

from __future__ import annotations

from fastapi import Request, Response

from services.common.auth import PrincipalDep, Writer
from services.common.etag import IfMatch, seen_version
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of
from services.common.problems import problem_responses
from services.common.routing import READ_ERRORS, WRITE_ERRORS, api_router, created, current, links_to_created
from services.tasks_api.delegations import service
from services.tasks_api.delegations.schemas import DelegationCreate, DelegationPublic
from services.tasks_api.deps import DatabaseDep

router = api_router("delegations")
# Steps take If-Match when the caller has it (412 when stale); without it the step is still a compare-and-set on
# the delegation as its transaction read it, and losing a race is 409.
STEP_ERRORS = problem_responses(404, 409, 412)


@router.post(
    "/items/{item_id}/delegations",
    summary="Delegate part of an item to one of the caller's sub-units (转办)",
    status_code=201,
    responses={**WRITE_ERRORS, **links_to_created("delegation_id", read=("get_delegation",))},
)
async def delegate_item(
    item_id: int, data: DelegationCreate, response: Response, db: DatabaseDep, principal: Writer
) -> DelegationPublic:
    row = await service.delegate(db, item_id=item_id, data=data, principal=principal)
    return created(response, DelegationPublic, row, f"/v1/delegations/{row['id']}")


@router.get(
    "/items/{item_id}/delegations",
    summary="The chain of an item's delegations (the office sees all; a unit those it made or received)",
    responses=READ_ERRORS,
)
async def list_item_delegations(
    item_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DelegationPublic]:
    rows = await service.list_delegations(
        db, item_id=item_id, principal=principal, after_id=decode_id_cursor(cursor), limit=limit
    )
    return page_of(Page[DelegationPublic], rows, limit, request, response)


@router.get("/delegations/{delegation_id}", summary="Read a delegation", responses=READ_ERRORS)
async def get_delegation(
    delegation_id: int, response: Response, db: DatabaseDep, principal: PrincipalDep
) -> DelegationPublic:
    row = await service.get_delegation(db, delegation_id=delegation_id, principal=principal)
    return current(response, DelegationPublic, row)


@router.post(
    "/delegations/{delegation_id}/acknowledgement",
    summary="Acknowledge a delegation (签收), as its delegate",
    responses=STEP_ERRORS,
)
async def acknowledge_delegation(
    delegation_id: int, response: Response, db: DatabaseDep, principal: Writer, if_match: IfMatch = None
) -> DelegationPublic:
    row = await service.acknowledge(
        db, delegation_id=delegation_id, version=seen_version(if_match), principal=principal
    )
    return current(response, DelegationPublic, row)


@router.post(
    "/delegations/{delegation_id}/withdrawal",
    summary="Withdraw a delegation (撤回), as the delegating unit, with what was passed on from it",
    responses=STEP_ERRORS,
)
async def withdraw_delegation(
    delegation_id: int, response: Response, db: DatabaseDep, principal: Writer, if_match: IfMatch = None
) -> DelegationPublic:
    row = await service.withdraw(db, delegation_id=delegation_id, version=seen_version(if_match), principal=principal)
    return current(response, DelegationPublic, row)
