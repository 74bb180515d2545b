"""Report rules: who may file what, the review workflow, versions and lateness.

Responsibility is checked against tasks_api on every write, never taken from the request.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal, Role
from services.common.contracts.tasks import ItemDetail, TasksClient
from services.common.db import Database
from services.common.etag import stale
from services.common.outbox import emit
from services.common.problems import Conflict, Forbidden, NotFound, ProblemError, Unprocessable
from services.common.records import Records
from services.common.tables import table_of
from services.common.workdays import workdays_late
from services.reporting_api.db import change_log, outbox_events
from services.reporting_api.periods.calendar import parse_period
from services.reporting_api.periods.service import closed_periods, period_of, rhythm_of
from services.reporting_api.reports.content import needs_indicator_values, require_content
from services.reporting_api.reports.models import MeasurementRecord, Report, ReportStatus, ReportVersion, Transition
from services.reporting_api.reports.schemas import (
    Decision,
    ReopenRequest,
    ReportCreate,
    ReportPublic,
    ReportUpdate,
    ReviewCreate,
)

reports, versions = table_of(Report), table_of(ReportVersion)
measurements, transitions = table_of(MeasurementRecord), table_of(Transition)
report_records = Records(reports, "report", change_log)

CONTENT = (
    "progress",
    "achievements",
    "problems",
    "next_steps",
    "percent_complete",
    "self_status",
    "measurements",
    "attachments",
)
EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)
REVIEWED = (ReportStatus.ACCEPTED, ReportStatus.RETURNED)
WITHDRAWN = "withdrawn"  # the outcome of a version its unit took back before the review
# The list selects ReportPublic's columns in its order: its rows are encoded as they are, without the model.
LIST_COLUMNS = [reports.c[name] for name in ReportPublic.model_fields]


async def _item(tasks: TasksClient, item_id: int) -> ItemDetail:
    try:
        return await tasks.item(item_id)
    except NotFound as exc:
        raise Unprocessable(f"Item {item_id} does not exist in tasks_api.") from exc


def _reporting_unit(principal: Principal, item: ItemDetail, unit_id: int | None) -> tuple[int, str]:
    """The unit a report is filed for, and its role on the item; refused unless it is responsible."""
    if principal.role is Role.UNIT:
        if unit_id not in (None, principal.unit_id):
            raise Forbidden("A unit files reports only for itself.")
        unit_id = principal.unit_id
    elif not principal.is_staff:
        raise Forbidden("Only responsible units and the office file reports.")
    if unit_id is None:
        raise Unprocessable("unit_id is required when the office files a report on a unit's behalf.")
    role = next((r.role for r in item.responsibilities if r.unit_id == unit_id), None)
    if role is None:
        if principal.role is Role.UNIT:
            raise Forbidden(f"Your unit is not responsible for item {item.id}.")
        raise Unprocessable(f"Unit {unit_id} is not responsible for item {item.id}.")
    return unit_id, role


async def _check_measurements(tasks: TasksClient, item_id: int, content: dict[str, Any]) -> None:
    named = {m["indicator_id"] for m in content.get("measurements") or []}
    if named:
        own = {indicator.id for indicator in await tasks.item_indicators(item_id)}
        if named - own:
            raise Unprocessable(f"Indicator(s) {sorted(named - own)} are not indicators of item {item_id}.")


def _check_measurement_dates(content: dict[str, Any], period_id: str, *, location: str) -> None:
    """A value reported for a period describes that period: `as_of` falls between its first and last day."""
    period = parse_period(period_id)
    for index, measurement in enumerate(content.get("measurements") or []):
        as_of = date.fromisoformat(str(measurement["as_of"]))
        if not period.starts_on <= as_of <= period.ends_on:
            message = f"as_of {as_of} is outside period {period_id} ({period.starts_on} to {period.ends_on})."
            raise Unprocessable(
                f"measurements[{index}].as_of: {message}",
                errors=[
                    {
                        "location": [location, "measurements", index, "as_of"],
                        "message": message,
                        "type": "outside_period",
                    }
                ],
            )


async def _transition(
    conn: AsyncConnection, report_id: int, before: str | None, after: str, actor: str, comment: str | None = None
) -> None:
    await conn.execute(
        transitions.insert().values(
            report_id=report_id, from_status=before, to_status=after, actor=actor, at=clock.now(), comment=comment
        )
    )


async def _open_period(conn: AsyncConnection, plan_id: int, period: str) -> None:
    if period in await closed_periods(conn, plan_id):
        raise Conflict(f"Period {period} is closed; its reports can no longer change.")


async def create_report(
    db: Database, tasks: TasksClient, *, data: ReportCreate, principal: Principal
) -> dict[str, Any]:
    item = await _item(tasks, data.item_id)
    unit_id, role = _reporting_unit(principal, item, data.unit_id)
    content = data.model_dump(mode="json", include=set(CONTENT))
    _check_measurement_dates(content, data.period, location="body")
    await _check_measurements(tasks, item.id, content)
    plan = await tasks.plan(item.plan_id)
    async with db.transaction() as conn:
        (await rhythm_of(conn, plan)).refuse_unowed(item, data.period)
        await _open_period(conn, item.plan_id, data.period)
        duplicate = await conn.execute(
            select(reports.c.id).where(
                reports.c.item_id == item.id, reports.c.unit_id == unit_id, reports.c.period == data.period
            )
        )
        if (existing := duplicate.scalar()) is not None:
            raise Conflict(f"Unit {unit_id} already has report {existing} on item {item.id} for {data.period}.")
        report = await report_records.insert(
            conn,
            {
                **content,
                "plan_id": item.plan_id,
                "item_id": item.id,
                "unit_id": unit_id,
                "period": data.period,
                "role": role,
                "report_type": parse_period(data.period).report_type.value,
                "status": ReportStatus.DRAFT.value,
                "created_by": principal.subject,
            },
            actor=principal.subject,
        )
        await _transition(conn, report["id"], None, ReportStatus.DRAFT, principal.subject)
        return report


def _check_owner(principal: Principal, report: dict[str, Any]) -> None:
    if principal.role is Role.UNIT and report["unit_id"] != principal.unit_id:
        raise Forbidden("A unit changes only its own reports.")
    if not principal.is_staff and principal.role is not Role.UNIT:
        raise Forbidden("Only the reporting unit and the office change reports.")


async def update_report(
    db: Database, tasks: TasksClient, *, report_id: int, data: ReportUpdate, version: int, principal: Principal
) -> dict[str, Any]:
    changes = data.model_dump(mode="json", exclude_unset=True)
    report = await _changeable_report(db, tasks, report_id, principal)
    nulls = [k for k, v in changes.items() if v is None]
    if nulls:
        raise Unprocessable(f"{', '.join(nulls)} cannot be null.")
    _check_measurement_dates(changes, report["period"], location="body")
    await _check_measurements(tasks, report["item_id"], changes)
    async with db.transaction() as conn:
        report = await report_records.get_at(conn, report_id, version)
        if report["status"] not in EDITABLE:
            raise Conflict(f"A {report['status']} report cannot be edited; only drafts and returned reports can.")
        await _open_period(conn, report["plan_id"], report["period"])
        # UPDATE … WHERE version = :seen: a submit that froze the content first makes this edit 412.
        return await report_records.update(conn, report_id, changes, expected_version=version, actor=principal.subject)


def _event_data(report: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The data of a report.* event in the outbox: which report, and what just happened to it."""
    return {
        "report_id": report["id"],
        "plan_id": report["plan_id"],
        "item_id": report["item_id"],
        "unit_id": report["unit_id"],
        "role": report["role"],
        "period": report["period"],
        "submission": report["submissions"],
        "due_on": report["due_on"],
        **extra,
    }


async def _seen_report(
    conn: AsyncConnection, report_id: int, version: int | None, allowed: tuple[ReportStatus, ...], step: str
) -> dict[str, Any]:
    """The report as this transaction reads it, which the step's compare-and-set is made on: 412 when the
    caller's If-Match names another version, 409 when the step does not start from its status."""
    if version is None:
        report = await report_records.get(conn, report_id)
    else:
        report = await report_records.get_at(conn, report_id, version)
    if report["status"] not in allowed:
        raise Conflict(
            f"A {report['status']} report cannot be {step}; only "
            f"{' or '.join(status.value for status in allowed)} reports can."
        )
    await _open_period(conn, report["plan_id"], report["period"])
    return report


def _lost_race(report: dict[str, Any], version: int | None) -> ProblemError:
    """Another step or edit changed the report between this transaction's read and its write."""
    if version is not None:
        return stale(report["version"] + 1)
    return Conflict(f"Report {report['id']} changed while this request ran; read it again and retry.")


async def _move(
    conn: AsyncConnection,
    report: dict[str, Any],
    to: ReportStatus,
    *,
    version: int | None,
    actor: str,
    comment: str | None,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The compare-and-set every workflow step is: `UPDATE reports … WHERE id AND status AND version` are those
    read. The loser of a race writes nothing: it raises before its version row, transition or event exist."""
    after = await report_records.compare_and_set(
        conn, report, {**(changes or {}), "status": to.value}, actor=actor, guard=("status",)
    )
    if after is None:
        raise _lost_race(report, version)
    await _transition(conn, report["id"], report["status"], to, actor, comment)
    return after


async def submit_report(
    db: Database, tasks: TasksClient, *, report_id: int, principal: Principal, comment: str | None, version: int | None
) -> dict[str, Any]:
    """报送: freeze the content as a new immutable version; flag it late after the period's due date."""
    seen = await _changeable_report(db, tasks, report_id, principal)
    plan = await tasks.plan(seen["plan_id"])
    indicator_ids = await _indicators_to_report(tasks, seen)
    async with db.transaction() as conn:
        report = await _seen_report(conn, report_id, version, EDITABLE, "submitted")
        require_content(report, indicator_ids)
        scheduled = await period_of(conn, plan, report["period"])
        # The version freezes the content of the row the compare-and-set names: an edit that commits first
        # changes the version, so this submit loses instead of freezing what the edit replaced.
        content = {k: report[k] for k in CONTENT}
        _check_measurement_dates(content, report["period"], location="report")
        now = clock.now()
        days_late = workdays_late(scheduled.due_on, clock.business_date(now))
        number = report["submissions"] + 1
        first = report["first_submitted_at"] is None  # none yet, or the earlier ones were withdrawn
        changes = {
            "submissions": number,
            "submitted_at": now,
            "due_on": scheduled.due_on,
            **({"first_submitted_at": now, "late": days_late > 0, "days_late": days_late} if first else {}),
        }
        updated = await _move(
            conn,
            report,
            ReportStatus.SUBMITTED,
            version=version,
            actor=principal.subject,
            comment=comment,
            changes=changes,
        )
        version_id = (
            await conn.execute(
                versions.insert()
                .values(
                    report_id=report_id,
                    number=number,
                    content=content,
                    submitted_by=principal.subject,
                    submitted_at=now,
                    due_on=scheduled.due_on,
                    late=days_late > 0,
                    days_late=days_late,
                )
                .returning(versions.c.id)
            )
        ).scalar_one()
        if content["measurements"]:
            await conn.execute(
                measurements.insert(),
                [
                    {
                        "report_id": report_id,
                        "version_id": version_id,
                        "plan_id": report["plan_id"],
                        "item_id": report["item_id"],
                        "indicator_id": m["indicator_id"],
                        "value": m["value"],
                        "as_of": datetime.fromisoformat(m["as_of"]).date(),
                        "note": m.get("note"),
                    }
                    for m in content["measurements"]
                ],
            )
        await emit(
            conn,
            outbox_events,
            "report.submitted",
            _event_data(
                updated, submitted_by=principal.subject, submitted_at=now, late=days_late > 0, days_late=days_late
            ),
        )
        return updated


async def _indicators_to_report(tasks: TasksClient, report: dict[str, Any]) -> set[int]:
    """The indicators a submission must give values for (a lead unit's summary: all of the item's), read from
    tasks_api before the submission's transaction opens."""
    if not needs_indicator_values(report["report_type"], report["role"]):
        return set()
    return {indicator.id for indicator in await tasks.item_indicators(report["item_id"])}


async def review_report(
    db: Database, *, report_id: int, review: ReviewCreate, version: int, principal: Principal
) -> dict[str, Any]:
    """审核: the office accepts the submitted version or returns it with its reasons."""
    if review.decision is Decision.RETURN and not (review.comment or "").strip():
        raise Unprocessable("Returning a report needs a comment saying what to change.")
    outcome = ReportStatus.ACCEPTED if review.decision is Decision.ACCEPT else ReportStatus.RETURNED
    async with db.transaction() as conn:
        report = await _seen_report(conn, report_id, version, (ReportStatus.SUBMITTED,), "reviewed")
        updated = await _move(conn, report, outcome, version=version, actor=principal.subject, comment=review.comment)
        await conn.execute(
            versions.update()
            .where(versions.c.report_id == report_id, versions.c.number == report["submissions"])
            .values(
                outcome=outcome.value,
                reviewed_by=principal.subject,
                reviewed_at=clock.now(),
                review_comment=review.comment,
                score=review.score,
            )
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
) -> dict[str, Any]:
    """撤回: the unit takes a submission back before the office reviewed it; the report is a draft again."""
    await _changeable_report(db, tasks, report_id, principal)
    async with db.transaction() as conn:
        report = await _seen_report(conn, report_id, version, (ReportStatus.SUBMITTED,), "withdrawn")
        # A withdrawn submission was not filed: unless the office reviewed an earlier one, lateness is judged
        # again on the next submission, so withdrawing cannot keep an on-time mark for a later report.
        reviewed = (
            await conn.execute(
                select(versions.c.id).where(
                    versions.c.report_id == report_id, versions.c.outcome.in_([s.value for s in REVIEWED])
                )
            )
        ).first()
        changes = {} if reviewed else {"first_submitted_at": None, "late": False, "days_late": 0}
        updated = await _move(
            conn, report, ReportStatus.DRAFT, version=version, actor=principal.subject, comment=comment, changes=changes
        )
        pending = (versions.c.report_id == report_id) & (versions.c.number == report["submissions"])
        await conn.execute(versions.update().where(pending).values(outcome=WITHDRAWN))
        # Its indicator values no longer count (the version keeps them in its content).
        await conn.execute(
            measurements.delete().where(
                measurements.c.version_id.in_(select(versions.c.id).where(pending).scalar_subquery())
            )
        )
        await emit(
            conn,
            outbox_events,
            "report.withdrawn",
            _event_data(updated, withdrawn_by=principal.subject, comment=comment),
        )
        return updated


async def reopen_report(
    db: Database, *, report_id: int, request: ReopenRequest, version: int | None, principal: Principal
) -> dict[str, Any]:
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


async def delete_report(
    db: Database, tasks: TasksClient, *, report_id: int, version: int, principal: Principal
) -> None:
    """Delete a draft that was never submitted; the change log keeps what it held."""
    await _changeable_report(db, tasks, report_id, principal)
    async with db.transaction() as conn:
        report = await report_records.get_at(conn, report_id, version)
        if report["status"] != ReportStatus.DRAFT or report["submissions"]:
            raise Conflict("Only a draft that was never submitted can be deleted; a submitted report stays on record.")
        await report_records.delete(
            conn, report_id, expected_version=version, actor=principal.subject, guard=("status", "submissions")
        )


async def lead_item_ids(tasks: TasksClient, unit_id: int) -> set[int]:
    """Items the unit leads: their co-operating units' reports are the lead's to read."""
    return await tasks.unit_item_ids(unit_id, "lead")


async def visible_report(
    conn: AsyncConnection, tasks: TasksClient, report_id: int, principal: Principal
) -> dict[str, Any]:
    """The report, if the caller may see it; another unit's report is 404, as if it did not exist."""
    report = await report_records.get(conn, report_id)
    await _check_visible(tasks, report, principal)
    return report


async def _check_visible(tasks: TasksClient, report: dict[str, Any], principal: Principal) -> None:
    if (
        principal.role is Role.UNIT
        and report["unit_id"] != principal.unit_id
        and report["item_id"] not in await lead_item_ids(tasks, principal.own_unit)
    ):
        raise NotFound(f"Report {report['id']} does not exist.")


async def _changeable_report(db: Database, tasks: TasksClient, report_id: int, principal: Principal) -> dict[str, Any]:
    """The report as it is before a change, if the caller may change it. Read, and tasks_api asked, before the
    write transaction opens: no peer call while it holds its locks."""
    async with db.read() as conn:
        report = await report_records.get(conn, report_id)
    await _check_visible(tasks, report, principal)
    _check_owner(principal, report)
    return report


async def list_reports(
    db: Database, tasks: TasksClient, *, principal: Principal, after_id: int | None, limit: int, **filters: Any
) -> list[dict[str, Any]]:
    where = [reports.c[name] == value for name, value in filters.items() if value is not None]
    if principal.role is Role.UNIT:
        where.append(
            (reports.c.unit_id == principal.unit_id)
            | reports.c.item_id.in_(await lead_item_ids(tasks, principal.own_unit))
        )
    async with db.read() as conn:
        return await report_records.page(conn, where=where, after_id=after_id, limit=limit, columns=LIST_COLUMNS)


async def report_versions(
    db: Database, tasks: TasksClient, *, report_id: int, principal: Principal
) -> list[dict[str, Any]]:
    async with db.read() as conn:
        await visible_report(conn, tasks, report_id, principal)
        rows = await conn.execute(select(versions).where(versions.c.report_id == report_id).order_by(versions.c.number))
        return [dict(r) for r in rows.mappings()]


async def report_transitions(
    db: Database, tasks: TasksClient, *, report_id: int, principal: Principal
) -> list[dict[str, Any]]:
    async with db.read() as conn:
        await visible_report(conn, tasks, report_id, principal)
        rows = await conn.execute(
            select(transitions).where(transitions.c.report_id == report_id).order_by(transitions.c.id)
        )
        return [dict(r) for r in rows.mappings()]
