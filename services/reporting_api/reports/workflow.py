"""The review workflow of a report: submit (报送), review (审核), withdraw (撤回) and reopen.

Each step reads what it needs from tasks_api first, then runs one transaction whose compare-and-set on the report
(status and version as read) settles a race: the loser writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Unpack

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal, Role
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.common.dialect import dialect_of
from services.common.etag import stale
from services.common.outbox import emit
from services.common.problems import Conflict, Forbidden, PreconditionRequired, ProblemError, Unprocessable
from services.common.workdays import workdays_late
from services.reporting_api.db import outbox_events
from services.reporting_api.periods.service import DUE_DATES_LOCK, period_of
from services.reporting_api.reports import repository
from services.reporting_api.reports.content import content_of, needs_indicator_values, require_content
from services.reporting_api.reports.delegates import DELEGATE, delegating_unit
from services.reporting_api.reports.models import ReportStatus
from services.reporting_api.reports.repository import ReportChanges, ReportRow
from services.reporting_api.reports.schemas import (
    Decision,
    EventDetails,
    ReopenRequest,
    ReportEvent,
    ReviewCreate,
)
from services.reporting_api.reports.service import (
    EDITABLE,
    REVIEWED,
    changeable_report,
    check_measurement_dates,
    refuse_closed_period,
)


def _event_data(report: ReportRow, **extra: Unpack[EventDetails]) -> ReportEvent:
    """The data of a report.* event in the outbox: which report (with the names kept when it was created, and its
    status after the step), and what just happened to it."""
    return {
        "report_id": report["id"],
        "plan_id": report["plan_id"],
        "item_id": report["item_id"],
        "item_number": report["item_number"],
        "item_title": report["item_title"],
        "unit_id": report["unit_id"],
        "unit_name": report["unit_name"],
        "role": report["role"],
        "period": report["period"],
        "report_type": report["report_type"],
        "status": report["status"],
        "submission": report["submissions"],
        "due_on": report["due_on"],
        **extra,
    }


async def _seen_report(
    conn: AsyncConnection, report_id: int, version: int | None, allowed: tuple[ReportStatus, ...], step: str
) -> ReportRow:
    """The report as this transaction reads it, which the step's compare-and-set is made on: 412 when the
    caller's If-Match names another version, 409 when the step does not start from its status."""
    if version is None:
        report = await repository.get_report(conn, report_id)
    else:
        report = await repository.report_at(conn, report_id, version)
    if report["status"] not in allowed:
        raise Conflict(
            f"A {report['status']} report cannot be {step}; only "
            f"{' or '.join(status.value for status in allowed)} reports can."
        )
    await refuse_closed_period(conn, report["plan_id"], report["period"])
    return report


def _lost_race(report: ReportRow, version: int | None) -> ProblemError:
    """Another step or edit changed the report between this transaction's read and its write."""
    if version is not None:
        return stale(report["version"] + 1)
    return Conflict(f"Report {report['id']} changed while this request ran; read it again and retry.")


async def _move(
    conn: AsyncConnection,
    report: ReportRow,
    to: ReportStatus,
    *,
    version: int | None,
    actor: str,
    comment: str | None,
    changes: ReportChanges | None = None,
) -> ReportRow:
    """The compare-and-set every workflow step is: `UPDATE reports … WHERE id AND status AND version` are those
    read. The loser of a race writes nothing: it raises before its version row, transition or event exist."""
    after = await repository.compare_and_set(
        conn, report, {**(changes or {}), "status": to.value}, actor=actor, guard=("status",)
    )
    if after is None:
        raise _lost_race(report, version)
    await repository.add_transition(conn, report["id"], report["status"], to, actor, comment)
    return after


@dataclass(frozen=True, slots=True)
class _Filing:
    """One submission of a report: when, against which due date, and how late in working days."""

    at: datetime
    due_on: date
    days_late: int

    def changes(self, report: ReportRow) -> ReportChanges:
        """The report's columns the submission sets; lateness only on the first (none yet, or all withdrawn)."""
        found: ReportChanges = {
            "submissions": report["submissions"] + 1,
            "submitted_at": self.at,
            "due_on": self.due_on,
        }
        if report["first_submitted_at"] is None:
            found["first_submitted_at"] = self.at
            found["late"] = self.days_late > 0
            found["days_late"] = self.days_late
        return found

    def event(self, report: ReportRow, actor: str) -> ReportEvent:
        """The report.submitted event of the submission."""
        return _event_data(
            report, submitted_by=actor, submitted_at=self.at, late=self.days_late > 0, days_late=self.days_late
        )


async def submit_report(
    db: Database, tasks: TasksClient, *, report_id: int, principal: Principal, comment: str | None, version: int | None
) -> ReportRow:
    """报送: freeze the content as a new immutable version; flag it late after the period's due date."""
    seen = await changeable_report(db, tasks, report_id, principal)
    plan = await tasks.plan(seen["plan_id"])
    indicator_ids = await _indicators_to_report(tasks, seen)
    async with db.transaction() as conn:
        # Before any row is read or locked: a due date moving now waits for this filing, or this waits for it.
        await dialect_of(conn).shared_lock(conn, DUE_DATES_LOCK)
        report = await _seen_report(conn, report_id, version, EDITABLE, "submitted")
        require_content(report, indicator_ids)
        scheduled = await period_of(conn, plan, report["period"])
        # The version freezes the content of the row the compare-and-set names: an edit that commits first
        # changes the version, so this submit loses instead of freezing what the edit replaced.
        content = content_of(report)
        check_measurement_dates(content["measurements"], report["period"], location="report")
        now = clock.now()
        filing = _Filing(now, scheduled.due_on, workdays_late(scheduled.due_on, clock.business_date(now)))
        actor = principal.subject
        updated = await _move(
            conn,
            report,
            ReportStatus.SUBMITTED,
            version=version,
            actor=actor,
            comment=comment,
            changes=filing.changes(report),
        )
        await repository.add_version(
            conn,
            updated,
            content,
            submitted_by=actor,
            submitted_at=now,
            due_on=filing.due_on,
            days_late=filing.days_late,
        )
        await emit(conn, outbox_events, "report.submitted", filing.event(updated, actor))
        return updated


async def _indicators_to_report(tasks: TasksClient, report: ReportRow) -> set[int]:
    """The indicators a submission must give values for (a lead unit's summary: all of the item's), read from
    tasks_api before the submission's transaction opens."""
    if not needs_indicator_values(report["report_type"], report["role"]):
        return set()
    return {indicator.id for indicator in await tasks.item_indicators(report["item_id"])}


async def _check_reviewer(db: Database, tasks: TasksClient, report_id: int, principal: Principal) -> None:
    """The office reviews the responsible units' reports; a delegate's report (转办) is reviewed by the unit that
    delegated the item to it, and by nobody else. Read, and tasks_api asked, before the review's transaction."""
    async with db.read() as conn:
        report = await repository.get_report(conn, report_id)
    if principal.role is Role.UNIT:  # asked first: whether this unit delegated the item to the report's unit
        delegator = await delegating_unit(tasks, report, active=True)
        if report["role"] != DELEGATE or delegator != principal.unit_id:
            raise Forbidden("A unit reviews only the reports of the units it delegated the item to (转办).")
    elif not principal.is_staff:
        raise Forbidden("Only the office, or a delegating unit for its delegates' reports, reviews reports.")
    elif report["role"] == DELEGATE:
        raise Forbidden("A delegate's report (转办) is reviewed by the unit that delegated the item, not the office.")


async def review_report(
    db: Database,
    tasks: TasksClient,
    *,
    report_id: int,
    review: ReviewCreate,
    version: int | None,
    principal: Principal,
) -> ReportRow:
    """审核: the office accepts the submitted version or returns it with its reasons (a delegate's report: the unit
    that delegated the item to it)."""
    if review.decision is Decision.RETURN and not (review.comment or "").strip():
        raise Unprocessable("Returning a report needs a comment saying what to change.", at=("body", "comment"))
    await _check_reviewer(db, tasks, report_id, principal)
    if version is None:  # after the reviewer's rights: a unit that may not review learns that first (403)
        raise PreconditionRequired("This change needs an If-Match header with the ETag you last read.")
    outcome = ReportStatus.ACCEPTED if review.decision is Decision.ACCEPT else ReportStatus.RETURNED
    async with db.transaction() as conn:
        report = await _seen_report(conn, report_id, version, (ReportStatus.SUBMITTED,), "reviewed")
        updated = await _move(conn, report, outcome, version=version, actor=principal.subject, comment=review.comment)
        await repository.review_version(
            conn,
            report,
            outcome,
            reviewed_by=principal.subject,
            reviewed_at=clock.now(),
            review_comment=review.comment,
            score=review.score,
        )
        await emit(
            conn,
            outbox_events,
            f"report.{outcome.value}",
            _event_data(updated, reviewed_by=principal.subject, comment=review.comment, score=review.score),
        )
        return updated


async def withdraw_report(
    db: Database, tasks: TasksClient, *, report_id: int, principal: Principal, comment: str | None, version: int | None
) -> ReportRow:
    """撤回: the unit takes a submission back before the office reviewed it; the report is a draft again."""
    await changeable_report(db, tasks, report_id, principal)
    async with db.transaction() as conn:
        report = await _seen_report(conn, report_id, version, (ReportStatus.SUBMITTED,), "withdrawn")
        # A withdrawn submission was not filed: unless the office reviewed an earlier one, lateness is judged
        # again on the next submission, so withdrawing cannot keep an on-time mark for a later report.
        reviewed = await repository.was_reviewed(conn, report_id, REVIEWED)
        changes: ReportChanges = {} if reviewed else {"first_submitted_at": None, "late": False, "days_late": 0}
        updated = await _move(
            conn, report, ReportStatus.DRAFT, version=version, actor=principal.subject, comment=comment, changes=changes
        )
        await repository.withdraw_version(conn, report)
        await emit(
            conn,
            outbox_events,
            "report.withdrawn",
            _event_data(updated, withdrawn_by=principal.subject, comment=comment),
        )
        return updated


async def reopen_report(
    db: Database, *, report_id: int, request: ReopenRequest, version: int | None, principal: Principal
) -> ReportRow:
    """The office reopens a reviewed report for a correction: a draft again, for its unit to edit and submit anew.
    The reviewed versions keep their outcomes."""
    async with db.transaction() as conn:
        report = await _seen_report(conn, report_id, version, REVIEWED, "reopened")
        updated = await _move(
            conn, report, ReportStatus.DRAFT, version=version, actor=principal.subject, comment=request.reason
        )
        await emit(
            conn,
            outbox_events,
            "report.reopened",
            _event_data(updated, reopened_by=principal.subject, reason=request.reason),
        )
        return updated
