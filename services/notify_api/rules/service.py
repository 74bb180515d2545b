"""Reminder rules per plan and deadline kind, and pauses; and the planner's view of both.

A plan's rule for a kind of deadline is its own stored rule, else the plan's "*" rule, else the defaults
(7, 3, 1 days before and the day itself; every 3 working days overdue; red after 5 days; quiet 22:00–08:00).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.common.etag import stale
from services.common.problems import Conflict, NotFound, Unprocessable
from services.notify_api.rules import repository
from services.notify_api.rules.repository import PauseRow, RuleRow, pause_records, pauses, rule_records
from services.notify_api.rules.rule import DEFAULT_RULE, PauseScope, Rule
from services.notify_api.rules.schemas import EffectiveRule, PauseCreate, RuleBody

ANY_KIND = "*"
DEADLINE_KINDS = (ANY_KIND, "item", "milestone", "indicator", "report", "instruction")


# -- rules ------------------------------------------------------------------------------------------------


def rule_of(row: RuleRow) -> Rule:
    """A stored rule as the planner applies it."""
    return Rule(
        tuple(sorted(set(row["steps_before"]), reverse=True)),
        row["repeat_every_workdays"],
        row["escalate_after_days"],
        row["quiet_start"],
        row["quiet_end"],
        bool(row["digest"]),
    )


def effective_rule(stored: dict[str, RuleRow], plan_id: int, kind: str) -> EffectiveRule:
    """The rule that applies to `kind`, where it comes from, and the version of the kind's own rule (0: none)."""
    own = stored.get(kind)
    source, row = ("own", own) if own else ("plan", stored[ANY_KIND]) if ANY_KIND in stored else ("default", None)
    rule = rule_of(row) if row else DEFAULT_RULE
    return EffectiveRule(
        plan_id=plan_id,
        deadline_kind=kind,
        steps_before=list(rule.steps_before),
        repeat_every_workdays=rule.repeat_every_workdays,
        escalate_after_days=rule.escalate_after_days,
        quiet_start=rule.quiet_start,
        quiet_end=rule.quiet_end,
        digest=rule.digest,
        source=source,
        version=own["version"] if own else 0,
    )


async def list_rules(db: Database, tasks: TasksClient, *, plan_id: int) -> list[EffectiveRule]:
    await tasks.plan(plan_id)  # 404 for a plan tasks_api does not know
    async with db.read() as conn:
        stored = await repository.plan_rules(conn, plan_id)
    return [effective_rule(stored, plan_id, kind) for kind in DEADLINE_KINDS]


async def put_rule(
    db: Database, tasks: TasksClient, *, plan_id: int, kind: str, data: RuleBody, version: int, actor: Principal
) -> EffectiveRule:
    """Create or replace a plan's rule for a kind; If-Match "0" when it has none of its own yet."""
    await tasks.plan(plan_id)
    values = data.model_dump()
    async with db.transaction() as conn:
        own = (await repository.plan_rules(conn, plan_id)).get(kind)
        if (own["version"] if own else 0) != version:
            raise stale(own["version"] if own else 0)
        if own is None:
            try:
                await rule_records.insert(
                    conn, {**values, "plan_id": plan_id, "deadline_kind": kind}, actor=actor.subject
                )
            except Conflict as exc:  # another first PUT committed meanwhile: "0" is as stale as after it
                raise stale(1) from exc
        else:
            await rule_records.update(conn, own["id"], values, expected_version=version, actor=actor.subject)
        return effective_rule(await repository.plan_rules(conn, plan_id), plan_id, kind)


async def rule_book(conn: AsyncConnection) -> dict[tuple[int, str], Rule]:
    """Every stored rule, for the planner."""
    return {(row["plan_id"], row["deadline_kind"]): rule_of(row) for row in await repository.all_rules(conn)}


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
        raise Unprocessable(f"Item {data.item_id} is not an item of plan {data.plan_id}.", at=("body", "item_id"))
    if data.unit_id is not None and data.unit_id not in {unit.id for unit in await tasks.units()}:
        raise Unprocessable(f"Unit {data.unit_id} does not exist.", at=("body", "unit_id"))


async def create_pause(db: Database, tasks: TasksClient, *, data: PauseCreate, actor: Principal) -> PauseRow:
    await check_pause_targets(tasks, data)
    async with db.transaction() as conn:
        return await repository.insert_pause(
            conn, {**data.model_dump(), "created_by": actor.subject}, actor=actor.subject
        )


async def list_pauses(
    db: Database,
    *,
    after_id: int | None,
    limit: int,
    plan_id: int | None = None,
    item_id: int | None = None,
    unit_id: int | None = None,
    active_on: date | None = None,
) -> list[PauseRow]:
    where: list[ColumnElement[bool]] = [
        column == value
        for column, value in ((pauses.c.plan_id, plan_id), (pauses.c.item_id, item_id), (pauses.c.unit_id, unit_id))
        if value is not None
    ]
    if active_on is not None:
        where.append(repository.in_force(active_on))
    async with db.read() as conn:
        return await repository.pause_page(conn, where=where, after_id=after_id, limit=limit)


async def get_pause(db: Database, *, pause_id: int) -> PauseRow:
    async with db.read() as conn:
        return await repository.get_pause(conn, pause_id)


async def delete_pause(db: Database, *, pause_id: int, actor: Principal) -> None:
    async with db.transaction() as conn:
        await pause_records.delete(conn, pause_id, expected_version=None, actor=actor.subject)


async def active_pauses(conn: AsyncConnection, today: date) -> list[PauseScope]:
    """What the pauses in force on `today` hold back, for the planner."""
    return [PauseScope(p["plan_id"], p["item_id"], p["unit_id"]) for p in await repository.pauses_in_force(conn, today)]
