"""Lateness judged again when due dates move: a report filed before the office moved its period's due date is late
or on time by the date in force, as one filed after the move is (README: "`late` is true once the Beijing date is
after the due date"). Each report changed is a compare-and-set recorded in its history, by whoever moved the date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import cast

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.problems import Conflict
from services.common.workdays import workdays_late
from services.reporting_api.reports import repository
from services.reporting_api.reports.repository import ReportChanges


async def judge_again(conn: AsyncConnection, plan_id: int, moved: Mapping[str, date], actor: str) -> None:
    """The reports filed for the periods in `moved` (period id → new due date), judged on their new due dates
    (periods/schemas.DueDatesMoved); a report never submitted has no lateness of its own to change."""
    if not moved:
        return
    for report in await repository.filed_for(conn, plan_id, list(moved)):
        due_on = moved[report["period"]]
        filed_at = cast(datetime, report["first_submitted_at"])  # filed_for reads the filed ones only
        days = workdays_late(due_on, clock.business_date(filed_at))
        if (report["due_on"], report["days_late"]) == (due_on, days):
            continue
        changes: ReportChanges = {"due_on": due_on, "late": days > 0, "days_late": days}
        if await repository.compare_and_set(conn, report, changes, actor=actor, guard=()) is None:
            # filed_for locked the rows: only a write that ignored the lock could get here
            raise Conflict(f"Report {report['id']} changed while its due date moved; try again.")
