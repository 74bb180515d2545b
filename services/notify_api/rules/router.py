"""HTTP routes for reminder rules (催办规则) per plan and deadline kind, and pauses (暂停提醒)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field

from services.common.auth import PrincipalDep, Staff
from services.common.etag import IfMatch, expected_version
from services.common.openapi import ANSWER_CONFIG
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of
from services.common.problems import problem_responses
from services.common.routing import (
    GUARDED_WRITE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    api_router,
    created,
    current,
    links_to_created,
)
from services.notify_api.deps import DatabaseDep, TasksDep
from services.notify_api.rules import service
from services.notify_api.rules.schemas import PauseCreate, RuleBody
from services.notify_api.rules.service import DEADLINE_KINDS

router = api_router("rules")
PEER_ERRORS = problem_responses(503)

# Built from DEADLINE_KINDS, the one list of them; mypy reads an enum's members only from literals.
DeadlineKind = StrEnum("DeadlineKind", {("any" if k == "*" else k): k for k in DEADLINE_KINDS})  # type: ignore[misc]
DeadlineKind.__doc__ = (
    "What a reminder rule is for (时限类型): item, milestone, indicator, report, or * for every kind."
)


class RulePublic(RuleBody):
    """The rule in force for one kind of deadline of a plan."""

    model_config = ANSWER_CONFIG
    plan_id: int
    deadline_kind: str
    source: str = Field(
        description="Where the rule comes from: own (this kind's rule), plan (the plan's rule for "
        "every kind) or default."
    )
    version: int


class RuleList(BaseModel):
    """A plan's reminder rules, one per deadline kind."""

    data: list[RulePublic]


class PausePublic(BaseModel):
    """A pause of reminders (暂停催办) for a plan, an item or a unit."""

    id: int
    plan_id: int
    item_id: int | None
    unit_id: int | None
    until: date | None
    reason: str
    created_by: str
    created_at: datetime


RULE_SOURCE = (
    "`source`: `own` (stored for this kind), `plan` (the plan's `*` rule) or `default`. `version` is "
    "the version of the kind's own rule, 0 when it has none: send it as If-Match to PUT."
)


@router.get(
    "/plans/{plan_id}/reminder-rules",
    summary="The reminder rule in force per deadline kind",
    description=RULE_SOURCE,
    responses={**READ_ERRORS, **PEER_ERRORS},
)
async def list_reminder_rules(plan_id: int, db: DatabaseDep, tasks: TasksDep, _: PrincipalDep) -> RuleList:
    rules = await service.list_rules(db, tasks, plan_id=plan_id)
    return RuleList(data=[RulePublic.model_validate(rule) for rule in rules])


@router.put(
    "/plans/{plan_id}/reminder-rules/{deadline_kind}",
    summary="Set a plan's reminder rule for a kind",
    description=RULE_SOURCE,
    responses={**GUARDED_WRITE_ERRORS, **PEER_ERRORS},
)
async def put_reminder_rule(
    plan_id: int,
    deadline_kind: DeadlineKind,
    data: RuleBody,
    response: Response,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: Staff,
    if_match: IfMatch = None,
) -> RulePublic:
    rule = await service.put_rule(
        db,
        tasks,
        plan_id=plan_id,
        kind=deadline_kind.value,
        data=data,
        version=expected_version(if_match),
        actor=principal,
    )
    return current(response, RulePublic, rule)


@router.get("/pauses", summary="List pauses of reminders")
async def list_pauses(
    request: Request,
    response: Response,
    db: DatabaseDep,
    _: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    plan_id: int | None = None,
    item_id: int | None = None,
    unit_id: int | None = None,
    active_on: Annotated[date | None, Query(description="Only pauses in force on this day.")] = None,
) -> Page[PausePublic]:
    rows = await service.list_pauses(
        db,
        after_id=decode_id_cursor(cursor),
        limit=limit,
        plan_id=plan_id,
        item_id=item_id,
        unit_id=unit_id,
        active_on=active_on,
    )
    return page_of(Page[PausePublic], rows, limit, request, response)


@router.post(
    "/pauses",
    summary="Pause reminders for a plan, an item or a unit",
    status_code=201,
    responses={
        **WRITE_ERRORS,
        **PEER_ERRORS,
        **links_to_created("pause_id", read=("get_pause",), guarded=("delete_pause",)),
    },
)
async def create_pause(
    data: PauseCreate, response: Response, db: DatabaseDep, tasks: TasksDep, principal: Staff
) -> PausePublic:
    pause = await service.create_pause(db, tasks, data=data, actor=principal)
    return created(response, PausePublic, pause, f"/v1/pauses/{pause['id']}")


@router.get("/pauses/{pause_id}", summary="Read a pause", responses=READ_ERRORS)
async def get_pause(pause_id: int, db: DatabaseDep, _: PrincipalDep) -> PausePublic:
    return PausePublic.model_validate(await service.get_pause(db, pause_id=pause_id))


@router.delete("/pauses/{pause_id}", summary="Lift a pause", status_code=204, responses=READ_ERRORS)
async def delete_pause(pause_id: int, db: DatabaseDep, principal: Staff) -> Response:
    await service.delete_pause(db, pause_id=pause_id, actor=principal)
    return Response(status_code=204)
