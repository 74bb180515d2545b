"""Instruction rules: who issues, sees, answers, settles and reads what.

tasks_api is asked before a transaction opens (the item's lead unit, the mentioned units): no connection is held
across a peer call. An answer or a settlement is a compare-and-set on the instruction (open, at the version read):
of two racing, exactly one wins and the other writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal, Role
from services.common.contracts.tasks import ItemDetail, TasksClient
from services.common.db import Database
from services.common.etag import stale
from services.common.outbox import emit
from services.common.pagination import given
from services.common.problems import Conflict, Forbidden, NotFound, ProblemError, Unprocessable
from services.reporting_api.db import outbox_events
from services.reporting_api.instructions import repository
from services.reporting_api.instructions.duties import days_overdue
from services.reporting_api.instructions.events import emit_mentions, instruction_event, unit_names
from services.reporting_api.instructions.models import InstructionStatus, ReplyKind, UnitConcern
from services.reporting_api.instructions.repository import InstructionRow, instructions
from services.reporting_api.instructions.schemas import (
    InstructionCreate,
    InstructionDetail,
    InstructionPublic,
    ReadPublic,
    ReplyCreate,
)
from services.reporting_api.reports import service as reports

CLOSING = {ReplyKind.ANSWER: InstructionStatus.ANSWERED, ReplyKind.SETTLE: InstructionStatus.SETTLED}
CLOSING_EVENT = {ReplyKind.ANSWER: "instruction.answered", ReplyKind.SETTLE: "instruction.settled"}


@dataclass(frozen=True, slots=True)
class InstructionFilters:
    """Which instructions a list shows; every filter is optional."""

    item_id: int | None = None
    report_id: int | None = None
    unit_id: int | None = None
    open: bool | None = None
    overdue: bool | None = None
    plan_id: int | None = None
    answer_from: date | None = None  # answer_by on or after
    answer_to: date | None = None  # answer_by on or before


def public(row: InstructionRow) -> InstructionPublic:
    """The instruction as shown, with whether its duty is overdue on today's Beijing business date."""
    late = days_overdue(row["status"], row["answer_by"], clock.business_today())
    return InstructionPublic.model_validate({**row, "overdue": late > 0, "days_overdue": late})


async def _target_item(db: Database, tasks: TasksClient, data: InstructionCreate, principal: Principal) -> ItemDetail:
    if (data.item_id is None) == (data.report_id is None):
        raise Unprocessable("Give exactly one of item_id and report_id.", at=("body",))
    item_id = data.item_id
    if data.report_id is not None:
        try:
            report = await reports.read_report(db, tasks, report_id=data.report_id, principal=principal)
        except NotFound as exc:
            raise Unprocessable(f"Report {data.report_id} does not exist.", at=("body", "report_id")) from exc
        item_id = report["item_id"]
    assert item_id is not None
    try:
        return await tasks.item(item_id, fresh=True)  # its lead unit as of now
    except NotFound as exc:
        raise Unprocessable(f"Item {item_id} does not exist in tasks_api.", at=("body", "item_id")) from exc


@dataclass(slots=True)
class Concerned:
    """The units an instruction concerns: how (lead, co, mentioned), and their names as tasks_api gives them."""

    concern: dict[int, str]
    names: dict[int, str]


async def _concerned_units(tasks: TasksClient, item: ItemDetail, mentions: list[int]) -> Concerned:
    """The item's units (lead, co) and the mentioned ones, each once; a mentioned unit must exist in tasks_api."""
    found = Concerned({}, {})
    for r in item.responsibilities:
        if r.role in (UnitConcern.LEAD, UnitConcern.CO):
            found.concern.setdefault(r.unit_id, r.role)
            found.names.setdefault(r.unit_id, r.unit_name)
    for unit_id in mentions:
        if unit_id not in found.names:
            try:
                unit = await tasks.unit(unit_id)
            except NotFound as exc:
                raise Unprocessable(f"Unit {unit_id} does not exist.", at=("body", "mentions")) from exc
            found.concern[unit_id], found.names[unit_id] = UnitConcern.MENTIONED.value, unit.name
    return found


async def issue_instruction(
    db: Database, tasks: TasksClient, *, data: InstructionCreate, principal: Principal
) -> InstructionRow:
    """批示: the office (for a leader, or itself) writes an instruction; the item's lead unit must answer it."""
    item = await _target_item(db, tasks, data, principal)
    lead = next((r for r in item.responsibilities if r.role == UnitConcern.LEAD), None)
    if lead is None:
        raise Unprocessable(f"Item {item.id} has no lead unit to answer an instruction.", at=("body",))
    mentioned = list(dict.fromkeys(data.mentions))
    units = await _concerned_units(tasks, item, mentioned)
    values = {
        **data.model_dump(exclude={"item_id", "mentions"}),
        "plan_id": item.plan_id,
        "item_id": item.id,
        "item_number": item.number,
        "item_title": item.title,
        "lead_unit_id": lead.unit_id,
        "lead_unit_name": lead.unit_name,
        "status": InstructionStatus.OPEN.value,
        "created_by": principal.subject,
    }
    async with db.transaction() as conn:
        row = await repository.insert_instruction(conn, values, units.concern, actor=principal.subject)
        issued = instruction_event(row)
        issued["mentioned_unit_ids"] = mentioned
        await emit(conn, outbox_events, "instruction.issued", issued)
        await emit_mentions(conn, row, {unit_id: units.names[unit_id] for unit_id in mentioned})
        return row


def _check_visible(principal: Principal, row: InstructionRow, units: list[int]) -> None:
    """A unit sees only the instructions that concern it: another's is 404, as if it did not exist."""
    if principal.role is Role.UNIT and principal.own_unit not in units:
        raise NotFound(f"Instruction {row['id']} does not exist.")


async def visible(
    conn: AsyncConnection, instruction_id: int, principal: Principal, *, lock: bool = False
) -> InstructionRow:
    """The instruction if the caller may see it (locked for the transaction, given `lock`: a thread takes one
    reply at a time, so a reply's evidence freezes exactly when the next reply is written)."""
    row = await repository.get_instruction(conn, instruction_id, lock=lock)
    _check_visible(principal, row, [u["unit_id"] for u in await repository.units_of(conn, instruction_id)])
    return row


async def _detail(conn: AsyncConnection, row: InstructionRow) -> InstructionDetail:
    thread = {
        "units": await repository.units_of(conn, row["id"]),
        "replies": await repository.replies_of(conn, row["id"]),
        "reads": await repository.reads_of(conn, row["id"]),
    }
    return InstructionDetail.model_validate({**public(row).model_dump(), **thread})


async def read_instruction(db: Database, *, instruction_id: int, principal: Principal) -> InstructionDetail:
    """The instruction with its thread, if the caller may see it."""
    async with db.read() as conn:
        return await _detail(conn, await visible(conn, instruction_id, principal))


def _where(filters: InstructionFilters, principal: Principal) -> list[ColumnElement[bool]]:
    unit_id = principal.scoped_unit(filters.unit_id)
    columns = {k: v for k, v in given(filters).items() if k in ("item_id", "report_id", "plan_id")}
    where = [instructions.c[name] == value for name, value in columns.items()]
    if filters.answer_from is not None:
        where.append(instructions.c.answer_by >= filters.answer_from)
    if filters.answer_to is not None:
        where.append(instructions.c.answer_by <= filters.answer_to)
    if principal.role is Role.UNIT:
        where.append(repository.visible_to(principal.own_unit))
    elif unit_id is not None:
        where.append(repository.visible_to(unit_id))
    is_open = instructions.c.status == InstructionStatus.OPEN.value
    if filters.open is not None:
        where.append(is_open if filters.open else ~is_open)
    if filters.overdue is not None:
        answer_by = instructions.c.answer_by
        late = is_open & answer_by.is_not(None) & (answer_by < clock.business_today())  # NULL: never late
        where.append(late if filters.overdue else ~late)
    return where


async def list_instructions(
    db: Database, filters: InstructionFilters, *, principal: Principal, after_id: int | None, limit: int
) -> list[InstructionPublic]:
    """A page (`limit + 1` rows) of the instructions the caller may see."""
    where = _where(filters, principal)
    async with db.read() as conn:
        rows = await repository.instruction_page(conn, where, after_id=after_id, limit=limit)
    return [public(row) for row in rows]


def _check_reply(principal: Principal, row: InstructionRow, kind: ReplyKind) -> None:
    """Who may write what: the office comments and settles; a concerned unit comments; the lead unit answers."""
    if not principal.is_staff and principal.role is not Role.UNIT:
        raise Forbidden("Only the office and the units concerned write in an instruction's thread.")
    if kind is ReplyKind.ANSWER and principal.unit_id != row["lead_unit_id"]:
        raise Forbidden("Only the item's lead unit answers an instruction (落实反馈); the office settles it.")
    if kind is ReplyKind.SETTLE and not principal.is_staff:
        raise Forbidden("Only the office settles an instruction.")


def _lost_race(row: InstructionRow, version: int | None) -> ProblemError:
    if version is not None:
        return stale(row["version"] + 1)
    return Conflict(f"Instruction {row['id']} changed while this request ran; read it again and retry.")


async def _close(
    conn: AsyncConnection, row: InstructionRow, kind: ReplyKind, version: int | None, actor: str
) -> InstructionRow:
    if version is not None and row["version"] != version:
        raise stale(row["version"])
    if row["status"] != InstructionStatus.OPEN.value:
        raise Conflict(f"Instruction {row['id']} is {row['status']}; only an open instruction is answered or settled.")
    after = await repository.close(conn, row, CLOSING[kind], actor=actor)
    if after is None:
        raise _lost_race(row, version)
    return after


async def _mentioned(
    db: Database, tasks: TasksClient, instruction_id: int, data: ReplyCreate, principal: Principal
) -> dict[int, str]:
    """The units a reply mentions, by name, once the caller is known to may write it (403/404 before 422)."""
    if not data.mentions:
        return {}
    async with db.read() as conn:
        _check_reply(principal, await visible(conn, instruction_id, principal), data.kind)
    return await unit_names(tasks, data.mentions, {})


async def reply(
    db: Database,
    tasks: TasksClient,
    *,
    instruction_id: int,
    data: ReplyCreate,
    version: int | None,
    principal: Principal,
) -> InstructionDetail:
    """A reply in the thread; an answer or a settlement closes the duty (compare-and-set on the instruction); each
    unit it mentions (@) is notified, and concerned from then on."""
    names = await _mentioned(db, tasks, instruction_id, data, principal)
    async with db.transaction() as conn:
        row = await visible(conn, instruction_id, principal, lock=True)
        _check_reply(principal, row, data.kind)
        if data.kind in CLOSING:
            row = await _close(conn, row, data.kind, version, principal.subject)
        written = await repository.add_reply(
            conn, row["id"], data.kind.value, principal.unit_id, principal.subject, data.text, mentions=list(names)
        )
        await repository.mention_units(conn, row["id"], list(names))
        await emit_mentions(conn, row, names, written)
        if data.kind in CLOSING:
            event = instruction_event(row)
            event["closed_by"], event["reply"] = principal.subject, data.text
            await emit(conn, outbox_events, CLOSING_EVENT[data.kind], event)
        return await _detail(conn, row)


async def mark_read(db: Database, *, instruction_id: int, principal: Principal) -> ReadPublic:
    """已阅: the caller's read receipt, written once (again: the first one)."""
    async with db.transaction() as conn:
        await visible(conn, instruction_id, principal)
        receipt = await repository.mark_read(conn, instruction_id, principal.subject, principal.unit_id)
    return ReadPublic.model_validate(receipt)
