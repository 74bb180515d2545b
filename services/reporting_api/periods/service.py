"""Period rules: the plan's calendar, due-date overrides, reporting rules and closed periods."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal
from services.common.contracts.tasks import Plan, TasksClient
from services.common.db import Database
from services.common.etag import stale
from services.common.history import record_change
from services.common.problems import Unprocessable
from services.reporting_api.db import change_log
from services.reporting_api.periods.calendar import ScheduledPeriod, parse_period, schedule
from services.reporting_api.periods.models import DEFAULT_WEIGHTS, ClosedPeriod, DueDateOverride, PlanRules, RulesUpdate

rules_table, overrides, closed = PlanRules.__table__, DueDateOverride.__table__, ClosedPeriod.__table__


async def plan_rules(conn: AsyncConnection, plan_id: int) -> dict[str, Any]:
    """The plan's rules, or the defaults when the office never set them."""
    row = (await conn.execute(select(rules_table).where(rules_table.c.plan_id == plan_id))).mappings().first()
    if row:
        return dict(row)
    return {"plan_id": plan_id, "version": 0, **PlanRules(plan_id=plan_id).model_dump(exclude={"plan_id", "version"})}


async def plan_schedule(conn: AsyncConnection, tasks: TasksClient, plan_id: int) -> list[ScheduledPeriod]:
    return await schedule_of(conn, await tasks.plan(plan_id))


async def schedule_of(conn: AsyncConnection, plan: Plan) -> list[ScheduledPeriod]:
    """The plan's periods with their due dates, for a plan already read from tasks_api (so that a write
    transaction can ask for it without calling a peer while it is open)."""
    rules = await plan_rules(conn, plan.id)
    rows = await conn.execute(select(overrides.c.period, overrides.c.due_on).where(overrides.c.plan_id == plan.id))
    return schedule(plan.starts_on, plan.ends_on, rules["due_days_after_period"], dict(rows.all()))


async def scheduled_period(conn: AsyncConnection, tasks: TasksClient, plan_id: int, period_id: str) -> ScheduledPeriod:
    """One period of the plan with its due date; 422 when the plan has no such period."""
    parse_period(period_id)
    return await period_of(conn, await tasks.plan(plan_id), period_id)


async def period_of(conn: AsyncConnection, plan: Plan, period_id: str) -> ScheduledPeriod:
    """`scheduled_period` for a plan already read from tasks_api."""
    parse_period(period_id)
    for scheduled in await schedule_of(conn, plan):
        if scheduled.period.id == period_id:
            return scheduled
    raise Unprocessable(f"Plan {plan.id} has no reporting period {period_id}.")


async def closed_periods(conn: AsyncConnection, plan_id: int) -> set[str]:
    rows = await conn.execute(select(closed.c.period).where(closed.c.plan_id == plan_id))
    return set(rows.scalars())


async def list_periods(db: Database, tasks: TasksClient, *, plan_id: int, kind: str | None) -> list[dict[str, Any]]:
    async with db.read() as conn:
        scheduled = await plan_schedule(conn, tasks, plan_id)
        closed_ids = await closed_periods(conn, plan_id)
    return [{"id": s.period.id, "kind": s.period.kind, "starts_on": s.period.starts_on, "ends_on": s.period.ends_on,
             "due_on": s.due_on, "due_on_overridden": s.overridden, "official_calendar": s.official_calendar,
             "closed": s.period.id in closed_ids}
            for s in scheduled if kind is None or s.period.kind == kind]


async def override_due_date(db: Database, tasks: TasksClient, *, plan_id: int, period_id: str, due_on: Any,
                            actor: Principal) -> None:
    async with db.transaction() as conn:
        scheduled = await scheduled_period(conn, tasks, plan_id, period_id)
        if due_on < scheduled.period.ends_on:
            raise Unprocessable(f"A report cannot be due before its period ends ({scheduled.period.ends_on}).")
        key = (overrides.c.plan_id == plan_id) & (overrides.c.period == period_id)
        await conn.execute(overrides.delete().where(key))
        await conn.execute(overrides.insert().values(plan_id=plan_id, period=period_id, due_on=due_on,
                                                     set_by=actor.subject, set_at=clock.now()))
        await record_change(conn, change_log, entity="period_due_date", entity_id=plan_id, action="update",
                            actor=actor.subject, before={period_id: scheduled.due_on}, after={period_id: due_on})


async def update_rules(db: Database, *, plan_id: int, data: RulesUpdate, version: int,
                       actor: Principal) -> dict[str, Any]:
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "weights" in changes:
        _check_weights(changes["weights"])
    async with db.transaction() as conn:
        current = await plan_rules(conn, plan_id)
        if current["version"] != version:
            raise stale(current["version"])
        after = {**current, **changes, "version": version + 1}
        try:
            if version == 0:
                await conn.execute(rules_table.insert().values(**after))
            else:
                result = await conn.execute(rules_table.update().where(
                    rules_table.c.plan_id == plan_id, rules_table.c.version == version).values(**after))
                if result.rowcount != 1:
                    raise stale(version + 1)
        except IntegrityError as exc:  # another first edit won the race
            raise stale(1) from exc
        await record_change(conn, change_log, entity="plan_rules", entity_id=plan_id, action="update",
                            actor=actor.subject, before=current, after=after)
        return after


def _check_weights(weights: dict[str, float]) -> None:
    if set(weights) != set(DEFAULT_WEIGHTS):
        raise Unprocessable(f"weights must name exactly: {', '.join(sorted(DEFAULT_WEIGHTS))}.")
    if any(w < 0 for w in weights.values()) or abs(sum(weights.values()) - 1) > 1e-6:
        raise Unprocessable("weights must be non-negative and sum to 1.")


async def closed_snapshot(conn: AsyncConnection, plan_id: int, period_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(closed).where(closed.c.plan_id == plan_id, closed.c.period == period_id))
           ).mappings().first()
    return dict(row) if row else None
