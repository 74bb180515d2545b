"""Closing a period into a snapshot, and the annual assessment computed from the closed snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal, Role
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.common.problems import Conflict, NotFound, Unprocessable
from services.reporting_api.assessment.scores import ranked, score, unit_metrics
from services.reporting_api.oversight.service import oversight_of
from services.reporting_api.periods.calendar import parse_period
from services.reporting_api.periods.service import closed, closed_snapshot, plan_rules
from services.reporting_api.reports.service import reports, versions


async def _report_outcomes(conn: AsyncConnection, plan_id: int, period: str) -> list[dict[str, Any]]:
    """Each report of the period with the outcome of its first submission (for 'accepted first time')."""
    first = versions.alias("first")
    query = (select(reports.c.id.label("report_id"), reports.c.item_id, reports.c.unit_id, reports.c.status,
                    reports.c.submissions, first.c.outcome.label("first_outcome"))
             .outerjoin(first, (first.c.report_id == reports.c.id) & (first.c.number == 1))
             .where(reports.c.plan_id == plan_id, reports.c.period == period).order_by(reports.c.id))
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def close_period(db: Database, tasks: TasksClient, *, plan_id: int, period: str, today: date,
                       principal: Principal) -> dict[str, Any]:
    """Freeze the period: its compliance, roll-ups, lights and indicators as they stand; its reports lock."""
    async with db.transaction() as conn:
        if await closed_snapshot(conn, plan_id, period):
            raise Conflict(f"Period {period} of plan {plan_id} is already closed.")
        snapshot = await oversight_of(conn, tasks, plan_id, period, today)
        snapshot["reports"] = await _report_outcomes(conn, plan_id, period)
        closed_at = datetime.now(UTC)
        await conn.execute(closed.insert().values(plan_id=plan_id, period=period, closed_by=principal.subject,
                                                  closed_at=closed_at, snapshot=snapshot))
    return {"plan_id": plan_id, "period": period, "closed_by": principal.subject, "closed_at": closed_at,
            "snapshot": snapshot}


async def get_snapshot(db: Database, *, plan_id: int, period: str) -> dict[str, Any]:
    async with db.read() as conn:
        found = await closed_snapshot(conn, plan_id, period)
    if found is None:
        raise NotFound(f"Period {period} of plan {plan_id} is not closed.")
    return found


def one_per_due_date(snapshots: dict[str, Any]) -> dict[str, Any]:
    """One closed snapshot per period end: 2024-Q2 and 2024-H1 both list the half-year summaries (the report owed
    that day), so only the snapshot of the largest period closed counts, and no report is counted twice."""
    kept: dict[date, str] = {}
    for period_id in snapshots:
        period = parse_period(period_id)
        other = kept.get(period.ends_on)
        if other is None or parse_period(other).starts_on > period.starts_on:
            kept[period.ends_on] = period_id
    return {period_id: snapshots[period_id] for period_id in sorted(kept.values())}


async def annual_assessment(db: Database, tasks: TasksClient, *, plan_id: int, year: int,
                            principal: Principal) -> dict[str, Any]:
    """年度综合考核: a score per unit with its breakdown, departments and counties ranked apart."""
    async with db.read() as conn:
        rows = (await conn.execute(select(closed.c.period, closed.c.snapshot).where(closed.c.plan_id == plan_id)
                                   .order_by(closed.c.period))).all()
        weights = (await plan_rules(conn, plan_id))["weights"]
    snapshots = one_per_due_date({period: snapshot for period, snapshot in rows
                                  if parse_period(period).ends_on.year == year})
    if not snapshots:
        raise Unprocessable(f"No period of {year} is closed for plan {plan_id}; close periods first.")
    units = {unit.id: unit for unit in await tasks.units()}
    scored = []
    for unit_id, metrics in unit_metrics(list(snapshots.values())).items():
        if principal.role is Role.UNIT and unit_id != principal.unit_id:
            continue
        value, applied = score(metrics, weights)
        unit = units.get(unit_id)
        scored.append({"unit_id": unit_id, "unit_name": unit.name if unit else str(unit_id),
                       "unit_kind": unit.kind if unit else None, "score": value, "weights_applied": applied,
                       "metrics": metrics})
    return {"plan_id": plan_id, "year": year, "periods": sorted(snapshots), "weights": weights,
            "departments": ranked(r for r in scored if r["unit_kind"] != "county"),
            "counties": ranked(r for r in scored if r["unit_kind"] == "county")}
