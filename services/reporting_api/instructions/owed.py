"""What a unit owes on leader instructions (领导批示): each instruction with an answer date is a duty of its lead unit,
listed beside the reports in compliance (红黄榜) and in a window's obligations, judged as reports are.

Owing and lateness follow the reports' rules (services/common/clock.py, workdays.py): an open duty due on D is
overdue from the Beijing business day after D, late by the working days since; an answered or settled one owes
nothing and keeps its own lateness, that of the business day it was closed on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any, TypedDict, cast

from sqlalchemy import ColumnElement, Date, Select, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.driver_reads import Read, Rows
from services.common.records import rows_of
from services.common.workdays import workdays_late
from services.reporting_api.instructions.models import InstructionStatus
from services.reporting_api.instructions.repository import InstructionRow, instructions
from services.reporting_api.periods.calendar import parse_period

INSTRUCTION_DUTY_RULE = """\
`instructions` lists the leader instructions (领导批示) with an answer date (`answer_by`) the lead unit owes an
answer (落实反馈) on, judged as reports are: an open one is `overdue` (and `late`) from 00:00 Beijing time on the
day after its answer date, by `days_late` working days (at least 1); an answered or settled one owes nothing and is
`late` only if it was closed after its answer date. A unit token sees only those it leads."""


class InstructionDutyEntry(TypedDict):
    """InstructionDuty: an instruction's answer owed by its lead unit, and where it stands."""

    instruction_id: int
    item_id: int
    item_number: str
    item_title: str
    unit_id: int
    unit_name: str
    author_name: str
    author_title: str
    answer_by: str
    state: str
    closed_on: str | None
    late: bool
    days_late: int
    overdue: bool


class InstructionDutyTotals(TypedDict):
    """InstructionDutySummary."""

    owed: int
    overdue: int
    answered: int
    settled: int
    late: int


IS_OPEN = instructions.c.status == InstructionStatus.OPEN.value


def duty_entry(row: InstructionRow, today: date) -> InstructionDutyEntry:
    """The duty as of business day `today`: an open one late by today, a closed one by the day it was closed."""
    answer_by = row["answer_by"]
    assert answer_by is not None  # the statements below keep only instructions with an answer date
    closed_on = clock.business_date(row["closed_at"]) if row["closed_at"] is not None else None
    is_open = row["status"] == InstructionStatus.OPEN.value
    days = workdays_late(answer_by, today if is_open or closed_on is None else closed_on)
    return {
        "instruction_id": row["id"],
        "item_id": row["item_id"],
        "item_number": row["item_number"],
        "item_title": row["item_title"],
        "unit_id": row["lead_unit_id"],
        "unit_name": row["lead_unit_name"],
        "author_name": row["author_name"],
        "author_title": row["author_title"],
        "answer_by": answer_by.isoformat(),
        "state": row["status"],
        "closed_on": closed_on.isoformat() if closed_on else None,
        "late": days > 0,
        "days_late": days,
        "overdue": is_open and today > answer_by,
    }


def duty_totals(rows: Sequence[InstructionDutyEntry]) -> InstructionDutyTotals:
    """How many duties are owed (open), overdue, answered, settled and late."""
    return {
        "owed": sum(row["state"] == InstructionStatus.OPEN.value for row in rows),
        "overdue": sum(row["overdue"] for row in rows),
        "answered": sum(row["state"] == InstructionStatus.ANSWERED.value for row in rows),
        "settled": sum(row["state"] == InstructionStatus.SETTLED.value for row in rows),
        "late": sum(row["late"] for row in rows),
    }


async def _duties(
    conn: AsyncConnection, plan_id: int, when: ColumnElement[bool], unit_id: int | None, today: date
) -> list[InstructionDutyEntry]:
    c = instructions.c
    where = [c.plan_id == plan_id, c.answer_by.is_not(None), when]
    if unit_id is not None:
        where.append(c.lead_unit_id == unit_id)
    query = select(instructions).where(*where).order_by(c.answer_by, c.id)
    return [duty_entry(row, today) for row in await rows_of(conn, query, InstructionRow)]


@cache
def period_duties_statement(*, of_unit: bool) -> Select[Any]:
    """A period's duties (compliance): those to answer within the period (its first to its last day), whatever
    their state, and those still open from before it (owed since), in (answer_by, id) order; one unit's (as lead)
    when `of_unit`. Built once, its values bound, so it runs alike through SQLAlchemy or on the driver pool."""
    c, starts_on, ends_on = instructions.c, bindparam("starts_on", type_=Date), bindparam("ends_on", type_=Date)
    within = and_(c.answer_by >= starts_on, c.answer_by <= ends_on)
    where = [
        c.plan_id == bindparam("plan_id"),
        c.answer_by.is_not(None),
        or_(within, and_(IS_OPEN, c.answer_by < starts_on)),
    ]
    if of_unit:
        where.append(c.lead_unit_id == bindparam("unit_id"))
    return select(instructions).where(*where).order_by(c.answer_by, c.id)


def period_duties_read(plan_id: int, period: str, *, unit_id: int | None) -> Read:
    """The read of a period's duties (period_duties_statement), one unit's when given."""
    span = parse_period(period)
    values = {"plan_id": plan_id, "starts_on": span.starts_on, "ends_on": span.ends_on}
    if unit_id is not None:
        values["unit_id"] = unit_id
    return period_duties_statement(of_unit=unit_id is not None), values


def duty_entries(rows: Rows, today: date) -> list[InstructionDutyEntry]:
    """The duties as of `today`, from rows of instructions (dicts or driver records alike)."""
    return [duty_entry(cast(InstructionRow, row), today) for row in rows]


async def window_duties(
    conn: AsyncConnection, plan_id: int, start: date, end: date, *, unit_id: int | None, today: date, pending: bool
) -> list[InstructionDutyEntry]:
    """The duties to answer in [start, end] (obligations), only the open ones when `pending`."""
    answer_by = instructions.c.answer_by
    when = and_(answer_by >= start, answer_by <= end, IS_OPEN if pending else answer_by.is_not(None))
    return await _duties(conn, plan_id, when, unit_id, today)
