"""Report SQL: the tables of the reports room and the statements its rules read and write with; no rules here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TypedDict, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.records import Records
from services.common.tables import table_of
from services.reporting_api.db import change_log
from services.reporting_api.reports.models import (
    MeasurementRecord,
    Report,
    ReportStatus,
    ReportVersion,
    Transition,
    report_index,
    review_comment_index,
)
from services.reporting_api.reports.schemas import ContentChanges, MeasurementValue, ReportContent

reports, versions = table_of(Report), table_of(ReportVersion)
measurements, transitions = table_of(MeasurementRecord), table_of(Transition)
report_records: Records[ReportRow] = Records(reports, "report", change_log, indexed=report_index)

WITHDRAWN = "withdrawn"  # the outcome of a version its unit took back before the review


class ReportValues(ReportContent):
    """A report's columns but its id: what a new row is written with (reports/history.py)."""

    plan_id: int
    item_id: int
    unit_id: int
    period: str
    role: str
    report_type: str
    status: str
    submissions: int
    first_submitted_at: datetime | None
    submitted_at: datetime | None
    due_on: date | None
    late: bool
    days_late: int
    item_number: str | None
    item_title: str | None
    unit_name: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class ReportRow(ReportValues):
    """A report as stored (ReportPublic)."""

    id: int


class ReportChanges(TypedDict, total=False):
    """The columns a workflow step sets on a report, beside its status (a submission's count, time and lateness)."""

    submissions: int
    submitted_at: datetime
    due_on: date
    first_submitted_at: datetime | None
    late: bool
    days_late: int


class VersionValues(TypedDict):
    """A submitted version's columns but its id."""

    report_id: int
    number: int
    content: ReportContent
    submitted_by: str
    submitted_at: datetime
    due_on: date
    late: bool
    days_late: int
    outcome: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_comment: str | None
    score: float | None


class VersionRow(VersionValues):
    """A submitted version as stored (VersionPublic)."""

    id: int


class TransitionRow(TypedDict):
    """One step of a report's workflow as stored (TransitionPublic)."""

    id: int
    report_id: int
    from_status: str | None
    to_status: str
    actor: str
    at: datetime
    comment: str | None


# -- a report's row: read, written and changed through report_records (history and ETag), typed -----------------


async def get_report(conn: AsyncConnection, report_id: int) -> ReportRow:
    """The report, or 404."""
    return await report_records.get(conn, report_id)


async def report_at(conn: AsyncConnection, report_id: int, version: int) -> ReportRow:
    """The report, if still at the version the caller read; else 404 or 412."""
    return await report_records.get_at(conn, report_id, version)


async def insert_report(conn: AsyncConnection, values: Mapping[str, Any], *, actor: str) -> ReportRow:
    """A new report of `values` (the columns of ReportValues but the bookkeeping ones, which it sets)."""
    return await report_records.insert(conn, values, actor=actor)


async def update_report(
    conn: AsyncConnection, report_id: int, changes: ContentChanges, *, expected_version: int, actor: str
) -> ReportRow:
    return await report_records.update(conn, report_id, changes, expected_version=expected_version, actor=actor)


async def compare_and_set(
    conn: AsyncConnection, before: ReportRow, changes: Mapping[str, Any], *, actor: str, guard: tuple[str, ...]
) -> ReportRow | None:
    """The report after `changes`, or None when it changed since `before` was read (Records.compare_and_set)."""
    after = await report_records.compare_and_set(conn, before, changes, actor=actor, guard=guard)
    return after


async def add_transition(
    conn: AsyncConnection, report_id: int, before: str | None, after: str, actor: str, comment: str | None = None
) -> None:
    await conn.execute(
        transitions.insert().values(
            report_id=report_id, from_status=before, to_status=after, actor=actor, at=clock.now(), comment=comment
        )
    )


async def filed_for(conn: AsyncConnection, plan_id: int, periods: list[str]) -> list[ReportRow]:
    """The plan's reports for `periods` that reached the office (lateness of their own), locked till the transaction
    ends so that nothing changes them between this read and the caller's writes."""
    statement = (
        select(reports)
        .where(reports.c.plan_id == plan_id, reports.c.period.in_(periods), reports.c.first_submitted_at.is_not(None))
        .order_by(reports.c.id)
        .with_for_update()
    )
    return [cast(ReportRow, dict(row)) for row in (await conn.execute(statement)).mappings()]


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
    report: ReportRow,
    content: ReportContent,
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


class MeasurementRow(TypedDict):
    """An indicator value of a submitted version, as stored (the measurements table, but its id)."""

    report_id: int
    version_id: int
    plan_id: int
    item_id: int
    indicator_id: int
    value: float
    as_of: date
    note: str | None


def _measurement(report: ReportRow, version_id: int, measurement: MeasurementValue) -> MeasurementRow:
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


async def review_version(conn: AsyncConnection, report: ReportRow, outcome: ReportStatus, **review: Any) -> None:
    """Record the review of the report's pending version: its outcome, and who reviewed it with what comment (its
    words indexed for search, 检索)."""
    reviewed = await conn.execute(
        versions.update()
        .where(versions.c.report_id == report["id"], versions.c.number == report["submissions"])
        .values(outcome=outcome.value, **review)
        .returning(versions.c.id)
    )
    if comment := review.get("review_comment"):
        entries = [{"id": id_, "review_comment": comment, "unit_id": report["unit_id"]} for id_ in reviewed.scalars()]
        await review_comment_index.put(conn, entries, new=True)


async def was_reviewed(conn: AsyncConnection, report_id: int, outcomes: tuple[ReportStatus, ...]) -> bool:
    """Whether the office reviewed any version of the report (with one of `outcomes`)."""
    found = await conn.execute(
        select(versions.c.id).where(
            versions.c.report_id == report_id, versions.c.outcome.in_([s.value for s in outcomes])
        )
    )
    return found.first() is not None


async def withdraw_version(conn: AsyncConnection, report: ReportRow) -> None:
    """Mark the report's pending version withdrawn; its indicator values no longer count (its content keeps them)."""
    pending = (versions.c.report_id == report["id"]) & (versions.c.number == report["submissions"])
    await conn.execute(versions.update().where(pending).values(outcome=WITHDRAWN))
    await conn.execute(
        measurements.delete().where(
            measurements.c.version_id.in_(select(versions.c.id).where(pending).scalar_subquery())
        )
    )


async def version_rows(conn: AsyncConnection, report_id: int) -> list[VersionRow]:
    rows = await conn.execute(select(versions).where(versions.c.report_id == report_id).order_by(versions.c.number))
    return cast(list[VersionRow], [dict(r) for r in rows.mappings()])


async def transition_rows(conn: AsyncConnection, report_id: int) -> list[TransitionRow]:
    rows = await conn.execute(
        select(transitions).where(transitions.c.report_id == report_id).order_by(transitions.c.id)
    )
    return cast(list[TransitionRow], [dict(r) for r in rows.mappings()])
