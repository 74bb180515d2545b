"""Report SQL: the tables of the reports room and the statements its rules read and write with; no rules here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.records import Records
from services.common.tables import table_of
from services.reporting_api.db import change_log
from services.reporting_api.reports.models import MeasurementRecord, Report, ReportStatus, ReportVersion, Transition

reports, versions = table_of(Report), table_of(ReportVersion)
measurements, transitions = table_of(MeasurementRecord), table_of(Transition)
report_records = Records(reports, "report", change_log)

WITHDRAWN = "withdrawn"  # the outcome of a version its unit took back before the review


async def add_transition(
    conn: AsyncConnection, report_id: int, before: str | None, after: str, actor: str, comment: str | None = None
) -> None:
    await conn.execute(
        transitions.insert().values(
            report_id=report_id, from_status=before, to_status=after, actor=actor, at=clock.now(), comment=comment
        )
    )


async def existing_report(conn: AsyncConnection, item_id: int, unit_id: int, period: str) -> int | None:
    """The id of the unit's report on the item for the period, if it has one."""
    found = await conn.execute(
        select(reports.c.id).where(
            reports.c.item_id == item_id, reports.c.unit_id == unit_id, reports.c.period == period
        )
    )
    return found.scalar()


async def add_version(
    conn: AsyncConnection,
    report: dict[str, Any],
    content: dict[str, Any],
    *,
    submitted_by: str,
    submitted_at: datetime,
    due_on: date,
    days_late: int,
) -> int:
    """Freeze the content of the report's latest submission (its `submissions` is the version's number) with its
    indicator values; returns the version's id."""
    version_id: int = (
        await conn.execute(
            versions.insert()
            .values(
                report_id=report["id"],
                number=report["submissions"],
                content=content,
                submitted_by=submitted_by,
                submitted_at=submitted_at,
                due_on=due_on,
                late=days_late > 0,
                days_late=days_late,
            )
            .returning(versions.c.id)
        )
    ).scalar_one()
    if content["measurements"]:
        await conn.execute(
            measurements.insert(), [_measurement(report, version_id, m) for m in content["measurements"]]
        )
    return version_id


def _measurement(report: dict[str, Any], version_id: int, measurement: dict[str, Any]) -> dict[str, Any]:
    return {
        "report_id": report["id"],
        "version_id": version_id,
        "plan_id": report["plan_id"],
        "item_id": report["item_id"],
        "indicator_id": measurement["indicator_id"],
        "value": measurement["value"],
        "as_of": datetime.fromisoformat(measurement["as_of"]).date(),
        "note": measurement.get("note"),
    }


async def review_version(conn: AsyncConnection, report: dict[str, Any], outcome: ReportStatus, **review: Any) -> None:
    """Record the review of the report's pending version: its outcome, and who reviewed it with what comment."""
    await conn.execute(
        versions.update()
        .where(versions.c.report_id == report["id"], versions.c.number == report["submissions"])
        .values(outcome=outcome.value, **review)
    )


async def was_reviewed(conn: AsyncConnection, report_id: int, outcomes: tuple[ReportStatus, ...]) -> bool:
    """Whether the office reviewed any version of the report (with one of `outcomes`)."""
    found = await conn.execute(
        select(versions.c.id).where(
            versions.c.report_id == report_id, versions.c.outcome.in_([s.value for s in outcomes])
        )
    )
    return found.first() is not None


async def withdraw_version(conn: AsyncConnection, report: dict[str, Any]) -> None:
    """Mark the report's pending version withdrawn; its indicator values no longer count (its content keeps them)."""
    pending = (versions.c.report_id == report["id"]) & (versions.c.number == report["submissions"])
    await conn.execute(versions.update().where(pending).values(outcome=WITHDRAWN))
    await conn.execute(
        measurements.delete().where(
            measurements.c.version_id.in_(select(versions.c.id).where(pending).scalar_subquery())
        )
    )


async def version_rows(conn: AsyncConnection, report_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(select(versions).where(versions.c.report_id == report_id).order_by(versions.c.number))
    return [dict(r) for r in rows.mappings()]


async def transition_rows(conn: AsyncConnection, report_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(transitions).where(transitions.c.report_id == report_id).order_by(transitions.c.id)
    )
    return [dict(r) for r in rows.mappings()]
