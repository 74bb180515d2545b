"""HTTP routes of leader instructions (领导批示): issue, list, read with the thread, reply (answer, settle) and
read receipts (已阅)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Request, Response

from services.common.auth import PrincipalDep, Staff, Writer
from services.common.etag import IfMatch, seen_version, set_etag
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of
from services.common.problems import problem_responses
from services.common.routing import READ_ERRORS, WRITE_ERRORS, api_router, created, links_to_created
from services.reporting_api.deps import DatabaseDep, TasksDep
from services.reporting_api.instructions import service
from services.reporting_api.instructions.schemas import (
    InstructionCreate,
    InstructionDetail,
    InstructionPublic,
    ReadPublic,
    ReplyCreate,
)
from services.reporting_api.instructions.service import InstructionFilters

router = api_router("instructions")
PEER_ERRORS = problem_responses(503)
REPLY_ERRORS = problem_responses(404, 409, 412, 503)


@router.post(
    "/instructions",
    summary="Issue a leader instruction (领导批示) on an item or a report",
    description="For the office (on a leader's behalf, or its own). The item's lead unit (牵头单位), read from "
    "tasks_api, must answer it (落实反馈), by `answer_by` when given; each unit in `mentions` is notified.",
    status_code=201,
    responses={
        **WRITE_ERRORS,
        **PEER_ERRORS,
        **links_to_created("instruction_id", read=("get_instruction",), guarded=("reply_to_instruction",)),
    },
)
async def issue_instruction(
    data: InstructionCreate, response: Response, db: DatabaseDep, tasks: TasksDep, principal: Staff
) -> InstructionPublic:
    row = await service.issue_instruction(db, tasks, data=data, principal=principal)
    return created(response, InstructionPublic, service.public(row).model_dump(), f"/v1/instructions/{row['id']}")


@router.get(
    "/instructions",
    summary="List instructions (a unit sees those that concern it)",
    response_model=Page[InstructionPublic],
)
async def list_instructions(
    request: Request,
    response: Response,
    db: DatabaseDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    item_id: int | None = None,
    report_id: int | None = None,
    unit_id: Annotated[int | None, Query(description="Only those concerning this unit (its items', or @).")] = None,
    open: Annotated[bool | None, Query(description="Only open (true) or closed (false) instructions.")] = None,
    overdue: Annotated[bool | None, Query(description="Only those past answer_by while open (逾期未反馈).")] = None,
    plan_id: int | None = None,
    answer_from: Annotated[date | None, Query(description="Only those to answer on or after this date.")] = None,
    answer_to: Annotated[date | None, Query(description="Only those to answer on or before this date.")] = None,
) -> Page[InstructionPublic]:
    filters = InstructionFilters(item_id, report_id, unit_id, open, overdue, plan_id, answer_from, answer_to)
    rows = await service.list_instructions(
        db, filters, principal=principal, after_id=decode_id_cursor(cursor), limit=limit
    )
    return page_of(Page[InstructionPublic], [row.model_dump() for row in rows], limit, request, response)


@router.get(
    "/instructions/{instruction_id}",
    summary="Read an instruction with its thread and read receipts",
    responses=READ_ERRORS,
)
async def get_instruction(
    instruction_id: int, response: Response, db: DatabaseDep, principal: PrincipalDep
) -> InstructionDetail:
    detail = await service.read_instruction(db, instruction_id=instruction_id, principal=principal)
    set_etag(response, detail.version)
    return detail


@router.post(
    "/instructions/{instruction_id}/replies",
    summary="Reply in an instruction's thread: comment, answer (落实反馈) or settle (办结)",
    description="A comment by the office or a unit concerned; `answer` by the item's lead unit, or `settle` by the "
    "office, closes the duty: a compare-and-set on the open instruction (412 when If-Match names another version, "
    "409 when it is no longer open or another closing reply won the race). Each unit in `mentions` is notified "
    "(instruction.mentioned, with the reply), and reads the thread from then on.",
    status_code=201,
    responses=REPLY_ERRORS,
)
async def reply_to_instruction(
    instruction_id: int,
    data: ReplyCreate,
    response: Response,
    db: DatabaseDep,
    tasks: TasksDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> InstructionDetail:
    version = seen_version(if_match)
    detail = await service.reply(
        db, tasks, instruction_id=instruction_id, data=data, version=version, principal=principal
    )
    response.headers["Location"] = f"/v1/instructions/{instruction_id}"
    set_etag(response, detail.version)
    return detail


@router.post(
    "/instructions/{instruction_id}/read",
    summary="Mark an instruction read (已阅)",
    description="For the office and the units concerned; idempotent per reader: the receipt keeps the first time.",
    responses=READ_ERRORS,
)
async def mark_instruction_read(instruction_id: int, db: DatabaseDep, principal: Writer) -> ReadPublic:
    return await service.mark_read(db, instruction_id=instruction_id, principal=principal)
