"""Bulk import of report history (历史报送数据): past reports from a predecessor system, already submitted.

This is the migration path for years of history, not the API's write path: the caller vouches for the rows
(it checked items, units and indicators against tasks_api once, not per row), and no events go out, because
the history is past and nobody is to be reminded of it. Each report gets what a submission through the API
leaves behind: the report row, its submitted version with the review outcome, its indicator values, and one
transition that says it was imported. Lateness is computed as `submit_report` computes it.

Rows are written in batches inside one transaction (all or nothing). On PostgreSQL a batch goes in with COPY,
its ids reserved from the table's sequence first, because COPY is far cheaper per row than INSERT for
the millions of rows of a province's history; SQLite gets batched INSERTs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.db import Database
from services.common.dialect import dialect_of
from services.common.workdays import workdays_late
from services.reporting_api.periods.calendar import parse_period
from services.reporting_api.reports.models import ReportStatus, report_index, review_comment_index
from services.reporting_api.reports.repository import (
    ReportValues,
    VersionValues,
    measurements,
    reports,
    transitions,
    versions,
)
from services.reporting_api.reports.schemas import ReportContent

REVIEWED = (ReportStatus.ACCEPTED, ReportStatus.RETURNED)
IMPORT_COMMENT = "Imported from the report history."


@dataclass(frozen=True, slots=True)
class PastMeasurement:
    indicator_id: int
    value: float
    as_of: date


@dataclass(frozen=True, slots=True)
class PastReport:
    """One unit's submitted report on one item for one period, as the old system kept it."""

    plan_id: int
    item_id: int
    unit_id: int
    period: str
    role: str
    status: ReportStatus  # submitted, accepted or returned: history holds no drafts
    submitted_at: datetime
    due_on: date
    progress: str = ""
    percent_complete: int = 0
    self_status: str = "on_track"
    measurements: tuple[PastMeasurement, ...] = ()
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_comment: str | None = None


async def import_past_reports(
    db: Database, history: Iterable[PastReport], *, actor: str, batch_size: int = 5000
) -> int:
    """Write the reports in one transaction; returns how many. A report already there fails it all (unique key)."""
    count = 0
    async with db.transaction() as conn:
        for batch in _batches(history, batch_size):
            await _write_batch(conn, batch, actor)
            count += len(batch)
    return count


def _batches(history: Iterable[PastReport], size: int) -> Iterator[list[PastReport]]:
    iterator = iter(history)
    while batch := list(islice(iterator, size)):
        yield batch


async def _write_batch(conn: AsyncConnection, batch: list[PastReport], actor: str) -> None:
    now, contents = clock.now(), [_content(report) for report in batch]
    report_rows = [_report_row(r, c, actor, now) for r, c in zip(batch, contents, strict=True)]
    report_ids = await _insert_reports(conn, report_rows)
    with_ids = list(zip(batch, contents, report_ids, strict=True))  # one id per report, or it fails here
    version_ids = await _insert_versions(conn, [_version_row(r, c, rid, actor) for r, c, rid in with_ids], batch)
    await insert_rows(
        conn,
        measurements,
        [
            {
                "report_id": report_id,
                "version_id": version_id,
                "plan_id": r.plan_id,
                "item_id": r.item_id,
                "indicator_id": m.indicator_id,
                "value": m.value,
                "as_of": m.as_of,
                "note": None,
            }
            for r, report_id, version_id in zip(batch, report_ids, version_ids, strict=True)
            for m in r.measurements
        ],
    )
    await insert_rows(
        conn,
        transitions,
        [
            {
                "report_id": report_id,
                "from_status": None,
                "to_status": r.status.value,
                "actor": actor,
                "at": r.reviewed_at or r.submitted_at,
                "comment": IMPORT_COMMENT,
            }
            for r, report_id in zip(batch, report_ids, strict=True)
        ],
    )


async def _insert_reports(conn: AsyncConnection, rows: list[ReportValues]) -> list[int]:
    """The reports, and their words for search (检索), as the API's writes index them."""
    ids = await insert_rows(conn, reports, rows)
    await report_index.put(conn, [{**row, "id": rid} for row, rid in zip(rows, ids, strict=True)], new=True)
    return ids


async def _insert_versions(conn: AsyncConnection, rows: list[VersionValues], batch: list[PastReport]) -> list[int]:
    """The submitted versions, and the words of their review comments for search (检索), as a review indexes them."""
    ids = await insert_rows(conn, versions, rows)
    commented = [
        {"id": version_id, "review_comment": row["review_comment"], "unit_id": report.unit_id}
        for row, version_id, report in zip(rows, ids, batch, strict=True)
        if row["review_comment"]
    ]
    await review_comment_index.put(conn, commented, new=True)
    return ids


def _content(report: PastReport) -> ReportContent:
    """The report's content as a submitted version freezes it (CONTENT of reports/service.py)."""
    return {
        "progress": report.progress,
        "achievements": "",
        "problems": "",
        "next_steps": "",
        "percent_complete": report.percent_complete,
        "self_status": report.self_status,
        "measurements": [
            {"indicator_id": m.indicator_id, "value": m.value, "as_of": m.as_of.isoformat(), "note": None}
            for m in report.measurements
        ],
        "attachments": [],
    }


def _days_late(report: PastReport) -> int:
    return workdays_late(report.due_on, clock.business_date(report.submitted_at))


def _report_row(report: PastReport, content: ReportContent, actor: str, now: datetime) -> ReportValues:
    days_late = _days_late(report)
    return {
        **content,
        "plan_id": report.plan_id,
        "item_id": report.item_id,
        "unit_id": report.unit_id,
        "period": report.period,
        "role": report.role,
        "report_type": parse_period(report.period).report_type.value,
        "status": report.status.value,
        "submissions": 1,
        "first_submitted_at": report.submitted_at,
        "submitted_at": report.submitted_at,
        "due_on": report.due_on,
        "late": days_late > 0,
        "days_late": days_late,
        # A history import publishes no event and asks tasks_api for no names: none kept.
        "item_number": None,
        "item_title": None,
        "unit_name": None,
        "created_by": actor,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def _version_row(report: PastReport, content: ReportContent, report_id: int, actor: str) -> VersionValues:
    reviewed = report.status in REVIEWED
    days_late = _days_late(report)
    return {
        "report_id": report_id,
        "number": 1,
        "content": content,
        "submitted_by": actor,
        "submitted_at": report.submitted_at,
        "due_on": report.due_on,
        "late": days_late > 0,
        "days_late": days_late,
        "outcome": report.status.value if reviewed else None,
        "reviewed_by": report.reviewed_by if reviewed else None,
        "reviewed_at": report.reviewed_at if reviewed else None,
        "review_comment": report.review_comment if reviewed else None,
        "score": None,
    }


async def insert_rows(conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert rows (every column but id given); their new ids come back in the order given."""
    if not rows:
        return []
    return await dialect_of(conn).bulk_insert(conn, table, rows)
