"""Reminder rules per plan and deadline kind, and pauses; and the planner's view of both.

A plan's rule for a kind of deadline is its own stored rule, else the plan's "*" rule, else the defaults
(7, 3, 1 days before and the day itself; every 3 working days overdue; red after 5 days; quiet 22:00–08:00).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from pydantic import field_validator
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import Field

from services.common.auth import Principal
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.common.etag import stale
from services.common.problems import NotFound, Unprocessable
from services.common.records import Records
from services.common.tables import SQLModelConfig, table_of
from services.notify_api.db import NotifyModel, change_log
from services.notify_api.rules.models import Pause, ReminderRule
from services.notify_api.rules.rule import DEFAULT_RULE, Rule

rules_table, pauses = table_of(ReminderRule), table_of(Pause)
rule_records = Records(rules_table, "reminder_rule", change_log)
pause_records = Records(pauses, "pause", change_log)

ANY_KIND = "*"
DEADLINE_KINDS = (ANY_KIND, "item", "milestone", "indicator", "report")
MAX_STEP_DAYS = 90  # the planner reads deadlines this far ahead; a reminder earlier than that is not a reminder
CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"


class RuleBody(NotifyModel):
    """A reminder rule (催办规则); PUT replaces it whole, so an omitted field takes its default."""

    model_config = SQLModelConfig(extra="forbid")
    steps_before: list[int] = Field(
        default_factory=lambda: list(DEFAULT_RULE.steps_before),
        max_length=10,
        description=f"Days before the due date to remind (0: the day itself; at most {MAX_STEP_DAYS}).",
    )
    repeat_every_workdays: int = Field(
        3, ge=0, le=60, description="While overdue, remind again every N working days (0: only once)."
    )
    escalate_after_days: int = Field(
        5,
        ge=1,
        le=180,
        description="Working days overdue (逾期工作日数) from which "
        "notices are red and go to the lead leaders and the "
        "office.",
    )
    quiet_start: str = Field("22:00", schema_extra={"pattern": CLOCK}, description="HH:MM Asia/Shanghai.")
    quiet_end: str = Field("08:00", schema_extra={"pattern": CLOCK}, description="HH:MM; held until then.")
    digest: bool = Field(False, description="Send a recipient's reminders of one day as one message.")

    @field_validator("steps_before")
    @classmethod
    def _steps(cls, steps: list[int]) -> list[int]:
        if any(not 0 <= s <= MAX_STEP_DAYS for s in steps):
            raise ValueError(f"every step must be between 0 and {MAX_STEP_DAYS} days")
        if len(set(steps)) != len(steps):
            raise ValueError("steps must not repeat")
        return sorted(steps, reverse=True)


class PauseCreate(NotifyModel):
    """Hold reminders of a whole plan, one item, one unit, or one unit on one item."""

    model_config = SQLModelConfig(extra="forbid")
    plan_id: int
    item_id: int | None = None
    unit_id: int | None = None
    until: date | None = Field(None, description="Paused through this date; empty: until the pause is lifted.")
    reason: str = Field("", max_length=500)


# -- rules ------------------------------------------------------------------------------------------------


async def _stored_rules(conn: AsyncConnection, plan_id: int) -> dict[str, dict[str, Any]]:
    rows = await conn.execute(select(rules_table).where(rules_table.c.plan_id == plan_id))
    return {row["deadline_kind"]: dict(row) for row in rows.mappings()}


def effective_rule(stored: dict[str, dict[str, Any]], plan_id: int, kind: str) -> dict[str, Any]:
    """The rule that applies to `kind`, where it comes from, and the version of the kind's own rule (0: none)."""
    own = stored.get(kind)
    source, row = ("own", own) if own else ("plan", stored[ANY_KIND]) if ANY_KIND in stored else ("default", None)
    fields = {**asdict(Rule.of(row) if row else DEFAULT_RULE)}
    fields["steps_before"] = list(fields["steps_before"])
    return {
        "plan_id": plan_id,
        "deadline_kind": kind,
        **fields,
        "source": source,
        "version": own["version"] if own else 0,
    }


async def list_rules(db: Database, tasks: TasksClient, *, plan_id: int) -> list[dict[str, Any]]:
    await tasks.plan(plan_id)  # 404 for a plan tasks_api does not know
    async with db.read() as conn:
        stored = await _stored_rules(conn, plan_id)
    return [effective_rule(stored, plan_id, kind) for kind in DEADLINE_KINDS]


async def put_rule(
    db: Database, tasks: TasksClient, *, plan_id: int, kind: str, data: RuleBody, version: int, actor: Principal
) -> dict[str, Any]:
    """Create or replace a plan's rule for a kind; If-Match "0" when it has none of its own yet."""
    await tasks.plan(plan_id)
    values = data.model_dump()
    async with db.transaction() as conn:
        own = (await _stored_rules(conn, plan_id)).get(kind)
        if (own["version"] if own else 0) != version:
            raise stale(own["version"] if own else 0)
        if own is None:
            await rule_records.insert(conn, {**values, "plan_id": plan_id, "deadline_kind": kind}, actor=actor.subject)
        else:
            await rule_records.update(conn, own["id"], values, expected_version=version, actor=actor.subject)
        return effective_rule(await _stored_rules(conn, plan_id), plan_id, kind)


async def rule_book(conn: AsyncConnection) -> dict[tuple[int, str], Rule]:
    """Every stored rule, for the planner."""
    rows = await conn.execute(select(rules_table))
    return {(row["plan_id"], row["deadline_kind"]): Rule.of(dict(row)) for row in rows.mappings()}


def rule_for(book: dict[tuple[int, str], Rule], plan_id: int, kind: str) -> Rule:
    return book.get((plan_id, kind)) or book.get((plan_id, ANY_KIND)) or DEFAULT_RULE


# -- pauses ----------------------------------------------------------------------------------------------


async def check_pause_targets(tasks: TasksClient, data: PauseCreate) -> None:
    """The plan, item and unit must exist, and the item belong to the plan (422: they are in the body)."""
    try:
        await tasks.plan(data.plan_id)
        item = await tasks.item(data.item_id) if data.item_id is not None else None
    except NotFound as exc:
        raise Unprocessable(f"The plan or item to pause does not exist ({exc.detail})") from exc
    if item is not None and item.plan_id != data.plan_id:
        raise Unprocessable(f"Item {data.item_id} is not an item of plan {data.plan_id}.")
    if data.unit_id is not None and data.unit_id not in {unit.id for unit in await tasks.units()}:
        raise Unprocessable(f"Unit {data.unit_id} does not exist.")


async def create_pause(db: Database, tasks: TasksClient, *, data: PauseCreate, actor: Principal) -> dict[str, Any]:
    await check_pause_targets(tasks, data)
    async with db.transaction() as conn:
        return await pause_records.insert(conn, {**data.model_dump(), "created_by": actor.subject}, actor=actor.subject)


async def list_pauses(
    db: Database,
    *,
    after_id: int | None,
    limit: int,
    plan_id: int | None = None,
    item_id: int | None = None,
    unit_id: int | None = None,
    active_on: date | None = None,
) -> list[dict[str, Any]]:
    where: list[Any] = [
        column == value
        for column, value in ((pauses.c.plan_id, plan_id), (pauses.c.item_id, item_id), (pauses.c.unit_id, unit_id))
        if value is not None
    ]
    if active_on is not None:
        where.append(or_(pauses.c.until.is_(None), pauses.c.until >= active_on))
    async with db.read() as conn:
        return await pause_records.page(conn, where=where, after_id=after_id, limit=limit)


async def get_pause(db: Database, *, pause_id: int) -> dict[str, Any]:
    async with db.read() as conn:
        return await pause_records.get(conn, pause_id)


async def delete_pause(db: Database, *, pause_id: int, actor: Principal) -> None:
    async with db.transaction() as conn:
        await pause_records.delete(conn, pause_id, expected_version=None, actor=actor.subject)


async def active_pauses(conn: AsyncConnection, today: date) -> list[dict[str, Any]]:
    rows = await conn.execute(select(pauses).where(or_(pauses.c.until.is_(None), pauses.c.until >= today)))
    return [dict(row) for row in rows.mappings()]
