"""Who may see and attach a report's evidence, and when: whoever may read the report sees its files; whoever may
change it (its unit, the office) attaches and deletes them while it is a draft or returned, in an open period. A file
attached before a submission is part of it: it stays on record (services/common/evidence/service.py)."""

from __future__ import annotations

from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.common.evidence.service import Owner, closed
from services.common.problems import NotFound
from services.common.records import rows_of
from services.reporting_api.reports.repository import ReportRow, reports
from services.reporting_api.reports.service import EDITABLE, changeable_report, read_report, refuse_closed_period

KIND = "report"


async def report_owner(db: Database, tasks: TasksClient, report_id: int, principal: Principal, write: bool) -> Owner:
    """The report as evidence's owner, read (and tasks_api asked) before any file streams."""
    if write:
        report = await changeable_report(db, tasks, report_id, principal)
        if report["status"] not in EDITABLE:
            raise closed(f"report {report_id}")
    else:
        report = await read_report(db, tasks, report_id=report_id, principal=principal)
    is_open = report["status"] in EDITABLE
    return Owner(KIND, report_id, report["unit_id"], report["submissions"], is_open, partial(_lock, report_id))


async def _lock(report_id: int, conn: AsyncConnection) -> int:
    """In the write's transaction: the report locked, still editable in an open period; its submissions so far."""
    found = await rows_of(conn, select(reports).where(reports.c.id == report_id).with_for_update(), ReportRow)
    if not found:
        raise NotFound(f"Report {report_id} does not exist.")
    report = found[0]
    if report["status"] not in EDITABLE:
        raise closed(f"report {report_id}")
    await refuse_closed_period(conn, report["plan_id"], report["period"])
    return report["submissions"]
