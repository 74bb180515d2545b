"""The reminder rules' and pauses' SQL: typed rows out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypedDict, cast

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import Records, plain_rows
from services.common.tables import table_of
from services.notify_api.db import change_log
from services.notify_api.rules.models import Pause, ReminderRule
from services.notify_api.rules.schemas import RuleFields

rules_table, pauses = table_of(ReminderRule), table_of(Pause)
rule_records: Records[RuleRow] = Records(rules_table, "reminder_rule", change_log)
pause_records: Records[PauseRow] = Records(pauses, "pause", change_log)


class RuleRow(RuleFields):
    """A plan's stored reminder rule for one kind of deadline (or "*" for every kind)."""

    id: int


class PauseRow(TypedDict):
    """A pause of reminders as stored."""

    id: int
    plan_id: int
    item_id: int | None
    unit_id: int | None
    until: date | None
    reason: str
    created_by: str
    created_at: datetime


async def plan_rules(conn: AsyncConnection, plan_id: int) -> dict[str, RuleRow]:
    """The plan's stored rules by deadline kind."""
    rows = plain_rows(await conn.execute(select(rules_table).where(rules_table.c.plan_id == plan_id)))
    return {row["deadline_kind"]: row for row in cast(list[RuleRow], rows)}


async def all_rules(conn: AsyncConnection) -> list[RuleRow]:
    return cast(list[RuleRow], plain_rows(await conn.execute(select(rules_table))))


async def insert_pause(conn: AsyncConnection, values: dict[str, Any], *, actor: str) -> PauseRow:
    return await pause_records.insert(conn, values, actor=actor)


async def pause_page(
    conn: AsyncConnection, *, where: Sequence[ColumnElement[bool]], after_id: int | None, limit: int
) -> list[PauseRow]:
    return await pause_records.page(conn, where=where, after_id=after_id, limit=limit)


async def get_pause(conn: AsyncConnection, pause_id: int) -> PauseRow:
    """The pause, or 404."""
    return await pause_records.get(conn, pause_id)


def in_force(day: date) -> ColumnElement[bool]:
    """A pause in force on `day`: without an end, or ending that day or later."""
    return or_(pauses.c.until.is_(None), pauses.c.until >= day)


async def pauses_in_force(conn: AsyncConnection, day: date) -> list[PauseRow]:
    return cast(list[PauseRow], plain_rows(await conn.execute(select(pauses).where(in_force(day)))))
