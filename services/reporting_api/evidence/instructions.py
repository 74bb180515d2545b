"""Who may see and attach the evidence of a leader instruction (领导批示) and of a reply in its thread, and when.

Whoever may read the instruction (the office, viewers, the units it concerns) sees its files and its replies'.
Only the author attaches and deletes them: the office the instruction's (the leader's signed 批示件), a unit its
own answer's (落实反馈 proof) or comment's. They are on record once others may have acted on them: an instruction's
files from the moment it is answered or settled; a reply's from the moment the next reply is written in the thread
(the office's reaction to an answer was to the files it saw). A thread takes one reply at a time (the instruction
is locked), so a file never slips in after the reply that froze it.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal, Role
from services.common.db import Database
from services.common.evidence.service import Owner, closed
from services.common.problems import Conflict, Forbidden, NotFound
from services.reporting_api.instructions import repository
from services.reporting_api.instructions.models import InstructionStatus
from services.reporting_api.instructions.service import visible

INSTRUCTION, REPLY = "instruction", "instruction_reply"


def _author_only(principal: Principal, author: str, unit_id: int | None) -> None:
    """The author is the same subject with the same standing: the office's writing (`unit_id` None) a staff token,
    a unit's reply a token of that unit. A viewer's token, or another unit's, that carries the author's subject (one
    person with two roles, or two issuers naming people alike) is not the author."""
    standing = principal.is_staff if unit_id is None else principal.role is Role.UNIT and principal.unit_id == unit_id
    if principal.subject != author or not standing:
        raise Forbidden("Only the author of an instruction or a reply attaches or deletes its evidence.")


async def instruction_owner(db: Database, instruction_id: int, principal: Principal, write: bool) -> Owner:
    """An instruction as evidence's owner: 404 to a unit it does not concern, 403 for a write by anyone but its
    author, 409 once it is answered or settled."""
    async with db.read() as conn:
        row = await visible(conn, instruction_id, principal)
    is_open = row["status"] == InstructionStatus.OPEN.value
    if write:
        _author_only(principal, row["created_by"], None)
        if not is_open:
            raise closed(f"instruction {instruction_id}")
    return Owner(INSTRUCTION, instruction_id, None, 0, is_open, partial(_lock_instruction, instruction_id))


async def _lock_instruction(instruction_id: int, conn: AsyncConnection) -> int:
    """In the write's transaction: the instruction locked and still open (not answered or settled meanwhile)."""
    row = await repository.get_instruction(conn, instruction_id, lock=True)
    if row["status"] != InstructionStatus.OPEN.value:
        raise closed(f"instruction {instruction_id}")
    return 0


async def reply_owner(db: Database, reply_id: int, principal: Principal, write: bool) -> Owner:
    """A reply as evidence's owner: 404 to a unit its instruction does not concern, 403 for a write by anyone but
    its author, 409 once a later reply was written."""
    async with db.read() as conn:
        reply = await repository.get_reply(conn, reply_id)
        try:
            await visible(conn, reply["instruction_id"], principal)
        except NotFound as exc:
            raise NotFound(f"Reply {reply_id} does not exist.") from exc
        is_last = await repository.last_reply_id(conn, reply["instruction_id"]) == reply_id
    if write:
        _author_only(principal, reply["author"], reply["unit_id"])
        if not is_last:
            raise _moved_on(reply_id)
    lock = partial(_lock_reply, reply["instruction_id"], reply_id)
    return Owner(REPLY, reply_id, reply["unit_id"], 0, is_last, lock)


def _moved_on(reply_id: int) -> Conflict:
    return Conflict(f"The evidence of reply {reply_id} can no longer change: a later reply was written after it.")


async def _lock_reply(instruction_id: int, reply_id: int, conn: AsyncConnection) -> int:
    """In the write's transaction: the thread locked (its instruction), the reply still its latest."""
    await repository.get_instruction(conn, instruction_id, lock=True)
    if await repository.last_reply_id(conn, instruction_id) != reply_id:
        raise _moved_on(reply_id)
    return 0
