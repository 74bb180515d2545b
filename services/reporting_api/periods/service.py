"""Period rules: the plan's calendar, due-date overrides, reporting rules and closed periods."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal
from services.common.contracts.tasks import Plan, TasksClient
from services.common.db import Database
from services.common.dialect import dialect_of
from services.common.etag import stale
from services.common.history import record_change
from services.common.problems import Conflict, Unprocessable
from services.common.tables import table_of
from services.reporting_api.db import change_log
from services.reporting_api.periods.calendar import PeriodKind, ScheduledPeriod, parse_period
from services.reporting_api.periods.models import (
    DEFAULT_WEIGHTS,
    ClosedPeriod,
    RulesUpdate,
)
from services.reporting_api.periods.obligations import CadenceBook, Rhythm
from services.reporting_api.periods.rhythm_reads import (
    book_from,
    cadences_statement,
    overrides,
    overrides_statement,
    rules_of,
    rules_statement,
    rules_table,
    schedule_from,
)
from services.reporting_api.periods.schemas import (
    ClosedPeriodRow,
    DueDatesMoved,
    PeriodRow,
    PlanRulesRow,
)

closed = table_of(ClosedPeriod)
# Due dates move under this lock, and a submission judges its lateness holding it too (shared): a first submission
# either sees the new due date, or is filed before the move reads the reports it judges again.
DUE_DATES_LOCK = 0x6475_6261_6E44_5545  # "dubanDUE"


async def plan_rules(conn: AsyncConnection, plan_id: int) -> PlanRulesRow:
    """The plan's rules, or the defaults when the office never set them."""
    return rules_of(plan_id, (await conn.execute(rules_statement(), {"plan_id": plan_id})).mappings().all())


async def schedule_of(conn: AsyncConnection, plan: Plan, rules: PlanRulesRow) -> Mapping[str, ScheduledPeriod]:
    """The plan's periods with their due dates, by id in calendar order: the plan is read from tasks_api first, by
    the caller, so that no connection is held across a peer call; the overrides come from this connection."""
    rows = (await conn.execute(overrides_statement(), {"plan_id": plan.id})).mappings().all()
    return schedule_from(plan, rules, rows)


async def cadence_book(conn: AsyncConnection, plan_id: int, rules: PlanRulesRow | None = None) -> CadenceBook:
    """The plan's cadences: the rules' default and per kind, and the items' own (periods/obligations.py)."""
    if rules is None:
        rules = await plan_rules(conn, plan_id)
    return book_from(rules, (await conn.execute(cadences_statement(), {"plan_id": plan_id})).mappings().all())


async def rhythm_of(conn: AsyncConnection, plan: Plan, rules: PlanRulesRow | None = None) -> Rhythm:
    """The plan's calendar and cadences: everything periods/obligations.py needs beyond the plan's items (the plan
    read from tasks_api before the connection was opened); `rules` when the caller read them already."""
    if rules is None:
        rules = await plan_rules(conn, plan.id)
    return Rhythm(await schedule_of(conn, plan, rules), await cadence_book(conn, plan.id, rules))


async def period_of(conn: AsyncConnection, plan: Plan, period_id: str) -> ScheduledPeriod:
    """One period of the plan with its due date; 422 when the plan has no such period."""
    return (await rhythm_of(conn, plan)).scheduled(period_id)


async def closed_periods(conn: AsyncConnection, plan_id: int) -> set[str]:
    rows = await conn.execute(select(closed.c.period).where(closed.c.plan_id == plan_id))
    return set(rows.scalars())


def locking(closed_ids: Iterable[str], period: str) -> list[str]:
    """The closed periods that lock the reports of `period`, in order: a report answers for every period ending the
    day its own ends (closing 2024-Q2 froze the 2024-H1 summaries its snapshot shows, and locks them)."""
    ends_on = parse_period(period).ends_on
    return sorted(p for p in closed_ids if parse_period(p).ends_on == ends_on)


async def list_periods(db: Database, tasks: TasksClient, *, plan_id: int, kind: str | None) -> list[PeriodRow]:
    """The plan's periods; months only when a cadence of the plan is monthly (or asked for by kind)."""
    plan = await tasks.plan(plan_id)  # the peer first, then the connection
    async with db.read() as conn:
        rhythm = await rhythm_of(conn, plan)
        closed_ids = await closed_periods(conn, plan_id)
    months = rhythm.book.monthly or kind == PeriodKind.MONTH
    return [
        _period_row(rhythm, s, closed_ids)
        for s in rhythm.calendar.values()
        if (kind is None or s.period.kind == kind) and (months or s.period.kind != PeriodKind.MONTH)
    ]


def _period_row(rhythm: Rhythm, s: ScheduledPeriod, closed_ids: set[str]) -> PeriodRow:
    owed = rhythm.owed_for(s.period.id).period
    return {
        "id": s.period.id,
        "kind": s.period.kind,
        "starts_on": s.period.starts_on,
        "ends_on": s.period.ends_on,
        "due_on": s.due_on,
        "due_on_overridden": s.overridden,
        "official_calendar": s.official_calendar,
        "closed": s.period.id in closed_ids,
        "report_type": s.period.report_type,
        "owed": rhythm.owed_by_default(s.period),
        "answered_by": owed.id,
    }


async def override_due_date(
    db: Database,
    tasks: TasksClient,
    *,
    plan_id: int,
    period_id: str,
    due_on: date,
    actor: Principal,
    follow: DueDatesMoved,
) -> None:
    """The office sets a period's due date; the reports filed for it are judged on the new date (`follow`). 409 once
    the period's reports are locked by a closed period: its snapshot keeps the lateness they were judged with."""
    plan = await tasks.plan(plan_id)  # the peer first, then the transaction
    async with db.transaction() as conn:
        await dialect_of(conn).writer_lock(conn, DUE_DATES_LOCK)
        scheduled = await period_of(conn, plan, period_id)
        if due_on < scheduled.period.ends_on:
            raise Unprocessable(
                f"A report cannot be due before its period ends ({scheduled.period.ends_on}).", at=("body", "due_on")
            )
        if closing := locking(await closed_periods(conn, plan_id), period_id):
            raise Conflict(f"Period {', '.join(closing)} is closed; the due date of {period_id} can no longer change.")
        key = (overrides.c.plan_id == plan_id) & (overrides.c.period == period_id)
        await conn.execute(overrides.delete().where(key))
        await conn.execute(
            overrides.insert().values(
                plan_id=plan_id, period=period_id, due_on=due_on, set_by=actor.subject, set_at=clock.now()
            )
        )
        await record_change(
            conn,
            change_log,
            entity="period_due_date",
            entity_id=plan_id,
            action="update",
            actor=actor.subject,
            before={period_id: scheduled.due_on},
            after={period_id: due_on},
        )
        await follow(conn, plan_id, {period_id: due_on}, actor.subject)


async def rules_of_plan(db: Database, tasks: TasksClient, *, plan_id: int) -> PlanRulesRow:
    """The rules of a plan tasks_api has (404 for one it has not: no defaults are made up for it)."""
    await tasks.plan(plan_id)  # the peer first, then the read
    async with db.read() as conn:
        return await plan_rules(conn, plan_id)


async def update_rules(
    db: Database,
    tasks: TasksClient,
    *,
    plan_id: int,
    data: RulesUpdate,
    version: int,
    actor: Principal,
    follow: DueDatesMoved,
) -> PlanRulesRow:
    """The plan's rules changed, from the version the caller saw; a plan tasks_api does not have is 404, and
    nothing is written for it (a rules row would otherwise wait for any plan that later takes its id). The due dates
    the change moves are followed (`follow`), but those of periods a closed one locks: their snapshot stands."""
    changes = data.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    if "weights" in changes:
        _check_weights(changes["weights"])
    plan = await tasks.plan(plan_id)  # the peer first, then the transaction
    async with db.transaction() as conn:
        await dialect_of(conn).writer_lock(conn, DUE_DATES_LOCK)
        current = await plan_rules(conn, plan_id)
        if current["version"] != version:
            raise stale(current["version"])
        # RulesUpdate's fields are rule columns, validated: the rules with them are rules still.
        after = cast(PlanRulesRow, {**current, **changes, "version": version + 1})
        await store_version(conn, rules_table, rules_table.c.plan_id == plan_id, after, version=version)
        await record_change(
            conn,
            change_log,
            entity="plan_rules",
            entity_id=plan_id,
            action="update",
            actor=actor.subject,
            before=current,
            after=after,
        )
        await follow(conn, plan_id, await _moved_by(conn, plan, current, after), actor.subject)
        return after


async def _moved_by(conn: AsyncConnection, plan: Plan, before: PlanRulesRow, after: PlanRulesRow) -> dict[str, date]:
    """The due dates a change of the rules moves (period id → new date), but of periods a closed one locks."""
    if before["due_days_after_period"] == after["due_days_after_period"]:
        return {}
    was, now = await schedule_of(conn, plan, before), await schedule_of(conn, plan, after)
    closed_ids = await closed_periods(conn, plan.id)
    return {
        period: s.due_on
        for period, s in now.items()
        if s.due_on != was[period].due_on and not locking(closed_ids, period)
    }


async def store_version(
    conn: AsyncConnection, table: Table, key: ColumnElement[bool], row: Mapping[str, Any], *, version: int
) -> None:
    """Write the row that follows `version` (0: there is none yet): insert it, or update the row while it is still
    at `version`; 412 when another write came first."""
    try:
        if version == 0:
            await conn.execute(table.insert().values(**row))
        elif (await conn.execute(table.update().where(key, table.c.version == version).values(**row))).rowcount != 1:
            raise stale(version + 1)
    except IntegrityError as exc:  # another first write won the race
        raise stale(1) from exc


def _check_weights(weights: dict[str, float]) -> None:
    if set(weights) != set(DEFAULT_WEIGHTS):
        raise Unprocessable(f"weights must name exactly: {', '.join(sorted(DEFAULT_WEIGHTS))}.", at=("body", "weights"))
    if any(w < 0 for w in weights.values()) or abs(sum(weights.values()) - 1) > 1e-6:
        raise Unprocessable("weights must be non-negative and sum to 1.", at=("body", "weights"))


async def closed_snapshot(conn: AsyncConnection, plan_id: int, period_id: str) -> ClosedPeriodRow | None:
    row = (
        (await conn.execute(select(closed).where(closed.c.plan_id == plan_id, closed.c.period == period_id)))
        .mappings()
        .first()
    )
    return cast(ClosedPeriodRow, dict(row)) if row else None
