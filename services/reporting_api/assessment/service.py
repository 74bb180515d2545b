"""Closing a period into a snapshot, and the annual assessment computed from the closed snapshots."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import TypeVar, cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal, Role
from services.common.contracts.tasks import Plan, TasksClient, Unit
from services.common.db import Database
from services.common.etag import stale
from services.common.history import record_change
from services.common.problems import Conflict, NotFound, Unprocessable
from services.common.records import Records, plain_rows
from services.common.tables import table_of
from services.reporting_api.assessment.models import AssessmentAdjustment
from services.reporting_api.assessment.schemas import (
    AdjustmentCreate,
    AdjustmentPublic,
    AdjustmentRow,
    Assessment,
    AssessmentList,
    ClosedSnapshot,
    PeriodClosure,
    ReportOutcome,
)
from services.reporting_api.assessment.scores import CO_OPERATING_WEIGHT, assessed_group, assessment_lists, unit_tallies
from services.reporting_api.db import change_log
from services.reporting_api.oversight.inputs import load_plan_oversight
from services.reporting_api.oversight.service import oversight_of
from services.reporting_api.periods.calendar import answering_ids, parse_period
from services.reporting_api.periods.models import AssessmentGroup
from services.reporting_api.periods.schemas import ClosedPeriodRow, PlanRulesRow
from services.reporting_api.periods.service import closed, closed_snapshot, plan_rules
from services.reporting_api.reports.models import Report, ReportStatus, ReportVersion

reports, versions = table_of(Report), table_of(ReportVersion)
# A version's outcome once the office reviewed it (else withdrawn by its unit, or none yet).
REVIEWED = (ReportStatus.ACCEPTED.value, ReportStatus.RETURNED.value)
SnapshotT = TypeVar("SnapshotT")


async def _report_outcomes(conn: AsyncConnection, plan_id: int, period: str) -> list[ReportOutcome]:
    """Each report answering for the period (those of every period ending the day it ends: closing 2024-Q4 counts the
    annual summaries) with the outcome of its first review (for 'accepted first time'): a submission withdrawn before
    any review counts as never made, as its lateness does. Of a pair that filed two (under an earlier cadence) the
    latest answers, as compliance shows it."""
    first_review = (
        select(versions.c.outcome)
        .where(versions.c.report_id == reports.c.id, versions.c.outcome.in_(REVIEWED))
        .order_by(versions.c.number)
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            reports.c.id.label("report_id"),
            reports.c.item_id,
            reports.c.unit_id,
            reports.c.status,
            reports.c.submissions,
            first_review.label("first_outcome"),
        )
        .where(
            reports.c.plan_id == plan_id,
            reports.c.period.in_(answering_ids(parse_period(period))),
            reports.c.role != "delegate",
        )
        .order_by(reports.c.id)
    )
    latest = {(r["item_id"], r["unit_id"]): dict(r) for r in (await conn.execute(query)).mappings()}
    return cast(list[ReportOutcome], sorted(latest.values(), key=itemgetter("report_id")))


async def close_period(
    db: Database, tasks: TasksClient, *, plan_id: int, period: str, today: date, principal: Principal
) -> PeriodClosure:
    """Freeze the period: its compliance, roll-ups, lights and indicators as they stand; its reports lock.

    The snapshot also keeps every responsibility (item, unit, role): the assessment counts the items a unit leads
    or co-operates on from them, whatever reports the period's cadence asked for."""
    async with db.read() as conn:
        await _refuse_closed(conn, plan_id, period)  # before paging the plan out of tasks_api for nothing
    plan = await load_plan_oversight(tasks, plan_id)  # the peer first: no transaction is open while it answers
    async with db.transaction() as conn:
        await _refuse_closed(conn, plan_id, period)  # closed meanwhile; the key (plan_id, period) settles a tie
        snapshot: ClosedSnapshot = {
            **await oversight_of(conn, plan, period, today),
            "reports": await _report_outcomes(conn, plan_id, period),
            "responsibilities": [
                {"item_id": a.item_id, "unit_id": a.unit_id, "role": a.role} for a in plan.data.assignments
            ],
        }
        row: PeriodClosure = {
            "plan_id": plan_id,
            "period": period,
            "closed_by": principal.subject,
            "closed_at": clock.now(),
            "snapshot": snapshot,
        }
        try:
            await conn.execute(closed.insert().values(**row))
        except IntegrityError as exc:  # a concurrent close committed first; raising rolls this transaction back
            raise _already_closed(plan_id, period) from exc
    return row


def _already_closed(plan_id: int, period: str) -> Conflict:
    return Conflict(f"Period {period} of plan {plan_id} is already closed.")


async def _refuse_closed(conn: AsyncConnection, plan_id: int, period: str) -> None:
    if await closed_snapshot(conn, plan_id, period):
        raise _already_closed(plan_id, period)


async def get_snapshot(db: Database, *, plan_id: int, period: str) -> ClosedPeriodRow:
    async with db.read() as conn:
        found = await closed_snapshot(conn, plan_id, period)
    if found is None:
        raise NotFound(f"Period {period} of plan {plan_id} is not closed.")
    return found


def one_per_due_date(snapshots: Mapping[str, SnapshotT]) -> dict[str, SnapshotT]:
    """One closed snapshot per period end: 2024-Q2 and 2024-H1 both list the half-year summaries (the report owed
    that day), so only the snapshot of the largest period closed counts, and no report is counted twice."""
    kept: dict[date, str] = {}
    for period_id in snapshots:
        period = parse_period(period_id)
        other = kept.get(period.ends_on)
        if other is None or parse_period(other).starts_on > period.starts_on:
            kept[period.ends_on] = period_id
    return {period_id: snapshots[period_id] for period_id in sorted(kept.values())}


async def annual_assessment(
    db: Database, tasks: TasksClient, *, plan_id: int, year: int, principal: Principal
) -> Assessment:
    """年度综合考核: a score per unit with its breakdown and adjustments, each list ranked apart.

    A unit sees its row."""
    units = {unit.id: unit for unit in await tasks.units()}  # the peer first, then the database
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(closed.c.period, closed.c.snapshot).where(closed.c.plan_id == plan_id).order_by(closed.c.period)
            )
        ).all()
        rules = await plan_rules(conn, plan_id)
        adjustments = await _adjustments(conn, plan_id, year)
    snapshots = one_per_due_date(
        {period: snapshot for period, snapshot in rows if parse_period(period).ends_on.year == year}
    )
    if not snapshots:
        raise Unprocessable(f"No period of {year} is closed for plan {plan_id}; close periods first.")
    lists = assessment_lists(
        unit_tallies(list(snapshots.values())), units, adjustments, _groups(rules), rules["weights"]
    )
    if principal.role is Role.UNIT:
        lists = [_own_row(found, principal.unit_id) for found in lists]
    return Assessment(
        plan_id=plan_id,
        year=year,
        periods=sorted(snapshots),
        lists=lists,
        weights={name: Decimal(str(weight)) for name, weight in rules["weights"].items()},
        co_operating_weight=CO_OPERATING_WEIGHT,
    )


def _groups(rules: PlanRulesRow) -> list[AssessmentGroup]:
    return [AssessmentGroup.model_validate(group) for group in rules["assessment_groups"]]


def _own_row(found: AssessmentList, unit_id: int | None) -> AssessmentList:
    """The list with the unit's own row only: its rank stays, the names of the units it ties with do not."""
    rows = [row for row in found.rows if row.unit_id == unit_id]
    for row in rows:
        if row.tied_with:
            row.note = f"tied with {len(row.tied_with)} other unit(s) at {row.total:.2f} (并列第{row.rank}名)"
            row.tied_with = []
    return found.model_copy(update={"rows": rows})


# -- 考核加减分 ------------------------------------------------------------------------------------------------

adjustments_table = table_of(AssessmentAdjustment)
adjustment_records: Records[AdjustmentRow] = Records(adjustments_table, "assessment_adjustment", change_log)


async def _adjustments(conn: AsyncConnection, plan_id: int, year: int) -> list[AdjustmentPublic]:
    query = (
        select(adjustments_table)
        .where(adjustments_table.c.plan_id == plan_id, adjustments_table.c.year == year)
        .order_by(adjustments_table.c.id)
    )
    return [AdjustmentPublic.model_validate(row) for row in plain_rows(await conn.execute(query))]


async def list_adjustments(db: Database, *, plan_id: int, year: int) -> list[AdjustmentPublic]:
    async with db.read() as conn:
        return await _adjustments(conn, plan_id, year)


async def _check_adjustable(conn: AsyncConnection, plan: Plan, year: int, unit: Unit | None, unit_id: int) -> None:
    """422 unless the year is one of the plan's and the unit is a real unit of a kind the plan assesses."""
    if not plan.starts_on.year <= year <= plan.ends_on.year:
        raise Unprocessable(
            f"Plan {plan.id} runs from {plan.starts_on.year} to {plan.ends_on.year}; {year} is not one of its years."
        )
    if unit is None:
        raise Unprocessable(f"Unit {unit_id} does not exist.", at=("body", "unit_id"))
    if assessed_group(unit, _groups(await plan_rules(conn, plan.id))) is None:
        raise Unprocessable(
            f"{unit.name} ({unit.kind}) is not assessed in plan {plan.id}: a collective placeholder "
            "or a kind its assessment groups leave out."
        )


async def create_adjustment(
    db: Database, tasks: TasksClient, *, plan_id: int, year: int, data: AdjustmentCreate, actor: Principal
) -> AdjustmentPublic:
    plan = await tasks.plan(plan_id)  # 404 for an unknown plan; peers are read before the transaction opens
    unit = next((unit for unit in await tasks.units() if unit.id == data.unit_id), None)
    async with db.transaction() as conn:
        await _check_adjustable(conn, plan, year, unit, data.unit_id)
        created = await adjustment_records.insert(
            conn,
            {"plan_id": plan_id, "year": year, **data.model_dump(), "created_by": actor.subject},
            actor=actor.subject,
        )
    return AdjustmentPublic.model_validate(created)


async def _adjustment_of(conn: AsyncConnection, plan_id: int, adjustment_id: int) -> AdjustmentRow:
    found = await adjustment_records.find(conn, adjustment_id)
    if found is None or found["plan_id"] != plan_id:
        raise NotFound(f"Plan {plan_id} has no assessment adjustment {adjustment_id}.")
    return found


async def get_adjustment(db: Database, *, plan_id: int, adjustment_id: int) -> AdjustmentPublic:
    async with db.read() as conn:
        return AdjustmentPublic.model_validate(await _adjustment_of(conn, plan_id, adjustment_id))


async def delete_adjustment(db: Database, *, plan_id: int, adjustment_id: int, version: int, actor: Principal) -> None:
    """Withdraw an adjustment the caller saw at `version`: a compare-and-set, so two withdrawals record one."""
    async with db.transaction() as conn:
        before = await _adjustment_of(conn, plan_id, adjustment_id)
        if before["version"] != version:
            raise stale(before["version"])
        gone = await conn.execute(
            adjustments_table.delete().where(
                adjustments_table.c.id == adjustment_id, adjustments_table.c.version == version
            )
        )
        if gone.rowcount != 1:  # withdrawn by another request since we read it
            raise NotFound(f"Plan {plan_id} has no assessment adjustment {adjustment_id}.")
        await record_change(
            conn,
            change_log,
            entity=adjustment_records.entity,
            entity_id=adjustment_id,
            action="delete",
            actor=actor.subject,
            before=before,
        )
