"""Instruction SQL: the tables of the instructions room and the statements its rules read and write; no rules here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TypedDict, cast

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.history import record_change
from services.common.problems import NotFound
from services.common.records import Records, rows_of
from services.common.tables import table_of
from services.reporting_api.db import change_log
from services.reporting_api.instructions.models import (
    Instruction,
    InstructionRead,
    InstructionReply,
    InstructionStatus,
    InstructionUnit,
    UnitConcern,
    instruction_index,
    reply_index,
)

instructions, concerned = table_of(Instruction), table_of(InstructionUnit)
replies, reads = table_of(InstructionReply), table_of(InstructionRead)


class InstructionRow(TypedDict):
    """An instruction as stored."""

    id: int
    plan_id: int
    item_id: int
    report_id: int | None
    item_number: str
    item_title: str
    lead_unit_id: int
    lead_unit_name: str
    author_name: str
    author_title: str
    text: str
    answer_by: date | None
    status: str
    closed_at: datetime | None
    closed_by: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class ConcernRow(TypedDict):
    unit_id: int
    concern: str


class ReplyRow(TypedDict):
    id: int
    instruction_id: int
    kind: str
    unit_id: int | None
    author: str
    text: str
    at: datetime


class ReadRow(TypedDict):
    instruction_id: int
    reader: str
    unit_id: int | None
    read_at: datetime


instruction_records: Records[InstructionRow] = Records(
    instructions, "instruction", change_log, indexed=instruction_index
)


async def get_instruction(conn: AsyncConnection, instruction_id: int, *, lock: bool = False) -> InstructionRow:
    """The instruction, or 404; locked for the transaction given `lock` (SELECT … FOR UPDATE; SQLite's writes are
    serial already)."""
    if not lock:
        return await instruction_records.get(conn, instruction_id)
    found = await rows_of(
        conn, select(instructions).where(instructions.c.id == instruction_id).with_for_update(), InstructionRow
    )
    if not found:
        raise NotFound(f"Instruction {instruction_id} does not exist.")
    return found[0]


async def insert_instruction(
    conn: AsyncConnection, values: Mapping[str, Any], units: Mapping[int, str], *, actor: str
) -> InstructionRow:
    """A new instruction and the units it concerns (unit id → concern)."""
    row = await instruction_records.insert(conn, values, actor=actor)
    await conn.execute(
        concerned.insert(), [{"instruction_id": row["id"], "unit_id": u, "concern": c} for u, c in units.items()]
    )
    return row


async def close(
    conn: AsyncConnection, before: InstructionRow, status: InstructionStatus, *, actor: str
) -> InstructionRow | None:
    """Compare-and-set: the instruction answered or settled if still open at the version read; None if it changed."""
    changes = {"status": status.value, "closed_at": clock.now(), "closed_by": actor}
    return await instruction_records.compare_and_set(conn, before, changes, actor=actor, guard=("status",))


async def units_of(conn: AsyncConnection, instruction_id: int) -> list[ConcernRow]:
    query = select(concerned.c.unit_id, concerned.c.concern).where(concerned.c.instruction_id == instruction_id)
    return await rows_of(conn, query.order_by(concerned.c.unit_id), ConcernRow)


async def add_reply(
    conn: AsyncConnection,
    instruction_id: int,
    kind: str,
    unit_id: int | None,
    author: str,
    text: str,
    *,
    mentions: list[int] | None = None,
) -> ReplyRow:
    """The reply, and its row in the instruction's history (with the units it mentions, if any)."""
    values = {"instruction_id": instruction_id, "kind": kind, "unit_id": unit_id, "author": author, "text": text}
    written = await conn.execute(replies.insert().values(**values, at=clock.now()).returning(*replies.c))
    row = cast(ReplyRow, dict(written.mappings().one()))
    after = {**row, "mentions": mentions} if mentions else row
    await reply_index.put(conn, [row], new=True)
    await record_change(
        conn, change_log, entity="instruction", entity_id=instruction_id, action="append", actor=author, after=after
    )
    return row


async def mention_units(conn: AsyncConnection, instruction_id: int, unit_ids: list[int]) -> None:
    """The units mentioned (@) in a reply that the instruction did not concern yet, concerned from now on."""
    known = {u["unit_id"] for u in await units_of(conn, instruction_id)}
    new = [{"instruction_id": instruction_id, "unit_id": u, "concern": UnitConcern.MENTIONED.value} for u in unit_ids]
    if rows := [r for r in new if r["unit_id"] not in known]:
        await conn.execute(concerned.insert(), rows)


async def get_reply(conn: AsyncConnection, reply_id: int) -> ReplyRow:
    """The reply, or 404."""
    found = await rows_of(conn, select(replies).where(replies.c.id == reply_id), ReplyRow)
    if not found:
        raise NotFound(f"Reply {reply_id} does not exist.")
    return found[0]


async def last_reply_id(conn: AsyncConnection, instruction_id: int) -> int | None:
    """The id of the thread's latest reply (None: no reply yet)."""
    query = select(func.max(replies.c.id)).where(replies.c.instruction_id == instruction_id)
    return cast(int | None, (await conn.execute(query)).scalar())


async def replies_of(conn: AsyncConnection, instruction_id: int) -> list[ReplyRow]:
    query = select(replies).where(replies.c.instruction_id == instruction_id).order_by(replies.c.id)
    return await rows_of(conn, query, ReplyRow)


READ_COLUMNS = (reads.c.instruction_id, reads.c.reader, reads.c.unit_id, reads.c.read_at)


async def reads_of(conn: AsyncConnection, instruction_id: int) -> list[ReadRow]:
    query = select(*READ_COLUMNS).where(reads.c.instruction_id == instruction_id).order_by(reads.c.id)
    return await rows_of(conn, query, ReadRow)


async def mark_read(conn: AsyncConnection, instruction_id: int, reader: str, unit_id: int | None) -> ReadRow:
    """The reader's receipt: written the first time, the first one after (a concurrent twin's insert loses)."""
    mine = select(*READ_COLUMNS).where(reads.c.instruction_id == instruction_id, reads.c.reader == reader)
    if found := await rows_of(conn, mine, ReadRow):
        return found[0]
    try:
        async with conn.begin_nested():
            values = {"instruction_id": instruction_id, "reader": reader, "unit_id": unit_id, "read_at": clock.now()}
            await conn.execute(reads.insert().values(**values))
    except IntegrityError:
        pass
    return (await rows_of(conn, mine, ReadRow))[0]


def visible_to(unit_id: int) -> ColumnElement[bool]:
    """The instructions a unit sees: those that concern it (its items' as issued, or mentioning it)."""
    ids = select(concerned.c.instruction_id).where(concerned.c.unit_id == unit_id)
    return instructions.c.id.in_(ids)


async def instruction_page(
    conn: AsyncConnection, where: list[ColumnElement[bool]], *, after_id: int | None, limit: int
) -> list[InstructionRow]:
    return await instruction_records.page(conn, where=where, after_id=after_id, limit=limit)
