"""Ledger SQL: a batch of responsibilities' reports, their latest review comments and indicator values."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import TypedDict, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import plain_rows
from services.common.tables import table_of
from services.reporting_api.db import evidence_files
from services.reporting_api.oversight.repository import REACHED
from services.reporting_api.periods.obligations import latest_per_pair
from services.reporting_api.reports.models import MeasurementRecord, Report, ReportStatus, ReportVersion

reports, versions, measurements = table_of(Report), table_of(ReportVersion), table_of(MeasurementRecord)
EVIDENCE_OF_REPORTS = "report"  # the owner kind of a report's evidence (evidence/service.py)


class LedgerReport(TypedDict):
    """The columns of a report the ledger writes."""

    id: int
    item_id: int
    unit_id: int
    status: str
    progress: str
    problems: str
    next_steps: str
    percent_complete: int
    self_status: str
    submissions: int
    submitted_at: datetime | None
    reached: bool
    late: bool
    days_late: int


async def batch_reports(
    conn: AsyncConnection, plan_id: int, answering: Collection[str], item_ids: set[int], unit_ids: set[int]
) -> dict[tuple[int, int], LedgerReport]:
    """The reports of a batch of responsibilities (their items and units) answering for the period (`answering`:
    the ids of the periods ending the same day), the latest of each pair."""
    query = select(
        reports.c.id,
        reports.c.item_id,
        reports.c.unit_id,
        reports.c.status,
        reports.c.progress,
        reports.c.problems,
        reports.c.next_steps,
        reports.c.percent_complete,
        reports.c.self_status,
        reports.c.submissions,
        reports.c.submitted_at,
        reports.c.late,
        reports.c.days_late,
        REACHED.label("reached"),
    ).where(
        reports.c.plan_id == plan_id,
        reports.c.period.in_(answering),
        reports.c.item_id.in_(item_ids),
        reports.c.unit_id.in_(unit_ids),
        reports.c.role != "delegate",  # a delegate's report (转办) goes to the delegating unit, not the ledger
    )
    return latest_per_pair(cast(list[LedgerReport], plain_rows(await conn.execute(query))))


async def latest_comments(conn: AsyncConnection, report_ids: list[int]) -> dict[int, str | None]:
    """The comment of each report's latest review (None when that review said nothing)."""
    if not report_ids:
        return {}
    rows = await conn.execute(
        select(versions.c.report_id, versions.c.review_comment)
        .where(versions.c.report_id.in_(report_ids), versions.c.outcome.is_not(None))
        .order_by(versions.c.number)
    )
    return dict(rows.all())  # ordered by number: the latest review of a report wins


async def latest_values(conn: AsyncConnection, report_ids: list[int]) -> dict[int, dict[int, tuple[float, date]]]:
    """Per report and indicator, the latest submitted value, ignoring versions the office returned."""
    if not report_ids:
        return {}
    rows = await conn.execute(
        select(measurements.c.report_id, measurements.c.indicator_id, measurements.c.value, measurements.c.as_of)
        .join(versions, versions.c.id == measurements.c.version_id)
        .where(
            measurements.c.report_id.in_(report_ids),
            versions.c.outcome.is_(None) | (versions.c.outcome != ReportStatus.RETURNED.value),
        )
        .order_by(measurements.c.as_of, measurements.c.version_id, measurements.c.id)
    )
    latest: dict[int, dict[int, tuple[float, date]]] = {}
    for report_id, indicator_id, value, as_of in rows:
        latest.setdefault(report_id, {})[indicator_id] = (value, as_of)
    return latest


async def evidence_names(conn: AsyncConnection, report_ids: list[int]) -> dict[int, str]:
    """Per report, the names of its evidence files (佐证材料), in the order they were attached, joined by '；'."""
    if not report_ids:
        return {}
    rows = await conn.execute(
        select(evidence_files.c.owner_id, evidence_files.c.filename)
        .where(evidence_files.c.owner_kind == EVIDENCE_OF_REPORTS, evidence_files.c.owner_id.in_(report_ids))
        .order_by(evidence_files.c.id)
    )
    names: dict[int, list[str]] = {}
    for report_id, filename in rows:
        names.setdefault(report_id, []).append(filename)
    return {report_id: "；".join(files) for report_id, files in names.items()}
