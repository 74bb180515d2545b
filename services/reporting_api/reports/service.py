"""Report rules: who may file, see and change what; drafts are created, edited and deleted here, and the review
workflow (workflow.py) builds on the same checks.

Responsibility is checked against tasks_api on every write, never taken from the request. tasks_api is asked
before a transaction opens or after the read connection is returned: no connection is held across a peer call.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import cast

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal, Role
from services.common.contracts.tasks import ItemDetail, TasksClient
from services.common.db import Database
from services.common.field_errors import field_error
from services.common.problems import Conflict, Forbidden, NotFound, Unprocessable
from services.reporting_api.periods.calendar import parse_period
from services.reporting_api.periods.service import closed_periods, locking, rhythm_of
from services.reporting_api.reports import pages, repository
from services.reporting_api.reports.delegates import DELEGATE, delegation_to, refuse_delegate_values
from services.reporting_api.reports.models import ReportStatus
from services.reporting_api.reports.pages import ListedReport, ReportFilters
from services.reporting_api.reports.repository import (
    ReportRow,
    TransitionRow,
    VersionRow,
    report_records,
)
from services.reporting_api.reports.schemas import (
    ContentChanges,
    MeasurementValue,
    ReportContent,
    ReportCreate,
    ReportUpdate,
)
from services.reporting_api.reports.scope import unit_scope

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
ITEM_NUMBER = ("query", "item_number")  # where a refused item number is, in the problem's errors


# The list selects ReportPublic's columns in its order: its rows are encoded as they are, without the model.
async def _item(tasks: TasksClient, item_id: int) -> ItemDetail:
    try:
        return await tasks.item(item_id, fresh=True)  # who may file it is read as of now
    except NotFound as exc:
        raise Unprocessable(f"Item {item_id} does not exist in tasks_api.", at=("body", "item_id")) from exc


async def _reporting_unit(
    tasks: TasksClient, principal: Principal, item: ItemDetail, unit_id: int | None
) -> tuple[int, str, str]:
    """The unit a report is filed for, its role on the item and its name; refused unless it is responsible, or
    holds an acknowledged delegation of the item (转办): then it reports as `delegate`, to the delegating unit."""
    unit_id = _filing_unit(principal, unit_id)
    duty = next((r for r in item.responsibilities if r.unit_id == unit_id), None)
    if duty is not None:
        return unit_id, duty.role, duty.unit_name
    delegation = delegation_to(await tasks.item_delegations(item.id), unit_id)
    if delegation is None:
        if principal.role is Role.UNIT:
            raise Forbidden(f"Your unit is not responsible for item {item.id}.")
        raise Unprocessable(f"Unit {unit_id} is not responsible for item {item.id}.", at=("body", "unit_id"))
    if delegation["status"] != "acknowledged":
        raise Conflict(f"Delegation {delegation['id']} of item {item.id} is not acknowledged (签收) yet.")
    return unit_id, DELEGATE, delegation["to_unit_name"]


def _filing_unit(principal: Principal, unit_id: int | None) -> int:
    """The unit the caller files for: a unit for itself, the office for the unit it names."""
    if principal.role is Role.UNIT:
        if unit_id not in (None, principal.unit_id):
            raise Forbidden("A unit files reports only for itself.")
        unit_id = principal.unit_id
    elif not principal.is_staff:
        raise Forbidden("Only responsible units and the office file reports.")
    if unit_id is None:
        raise Unprocessable(
            "unit_id is required when the office files a report on a unit's behalf.", at=("body", "unit_id")
        )
    return unit_id


async def _check_measurements(tasks: TasksClient, item_id: int, values: Sequence[MeasurementValue] | None) -> None:
    named = {m["indicator_id"] for m in values or []}
    if named:
        own = {indicator.id for indicator in await tasks.item_indicators(item_id)}
        if named - own:
            raise Unprocessable(
                f"Indicator(s) {sorted(named - own)} are not indicators of item {item_id}.", at=("body", "measurements")
            )


def check_measurement_dates(values: Sequence[MeasurementValue] | None, period_id: str, *, location: str) -> None:
    """A value reported for a period describes that period: `as_of` falls between its first and last day."""
    period = parse_period(period_id)
    for index, measurement in enumerate(values or []):
        as_of = date.fromisoformat(str(measurement["as_of"]))
        if not period.starts_on <= as_of <= period.ends_on:
            message = f"as_of {as_of} is outside period {period_id} ({period.starts_on} to {period.ends_on})."
            raise Unprocessable(
                f"measurements[{index}].as_of: {message}",
                errors=[field_error((location, "measurements", index, "as_of"), message, "outside_period")],
            )


async def refuse_closed_period(conn: AsyncConnection, plan_id: int, period: str) -> None:
    """409 once a period the report answers for is closed: checked inside each write's transaction, which a close may
    have preceded. A report answers for every period ending the day its own ends (closing 2024-Q2 froze the 2024-H1
    summaries its snapshot shows, and locks them)."""
    if closed := locking(await closed_periods(conn, plan_id), period):
        raise Conflict(f"Period {', '.join(closed)} is closed; its reports can no longer change.")


async def create_report(db: Database, tasks: TasksClient, *, data: ReportCreate, principal: Principal) -> ReportRow:
    item = await _item(tasks, data.item_id)
    unit_id, role, unit_name = await _reporting_unit(tasks, principal, item, data.unit_id)
    content = cast(ReportContent, data.model_dump(mode="json", include=set(CONTENT)))  # ContentFields, as JSON
    refuse_delegate_values(role, content["measurements"])
    check_measurement_dates(content["measurements"], data.period, location="body")
    await _check_measurements(tasks, item.id, content["measurements"])
    plan = await tasks.plan(item.plan_id)
    async with db.transaction() as conn:
        (await rhythm_of(conn, plan)).refuse_unowed(item, data.period)
        await refuse_closed_period(conn, item.plan_id, data.period)
        # The unique key (item, unit, period) still settles two creates that both pass this check.
        if (existing := await repository.existing_report(conn, item.id, unit_id, data.period)) is not None:
            raise Conflict(f"Unit {unit_id} already has report {existing} on item {item.id} for {data.period}.")
        report = await repository.insert_report(
            conn,
            {
                **content,
                "plan_id": item.plan_id,
                "item_id": item.id,
                "unit_id": unit_id,
                "period": data.period,
                "role": role,
                # Kept for the report.* events, which then need not ask tasks_api inside their transactions.
                "item_number": item.number,
                "item_title": item.title,
                "unit_name": unit_name,
                "report_type": parse_period(data.period).report_type.value,
                "status": ReportStatus.DRAFT.value,
                "created_by": principal.subject,
            },
            actor=principal.subject,
        )
        await repository.add_transition(conn, report["id"], None, ReportStatus.DRAFT, principal.subject)
        return report


def _check_owner(principal: Principal, report: ReportRow) -> None:
    if principal.role is Role.UNIT and report["unit_id"] != principal.unit_id:
        raise Forbidden("A unit changes only its own reports.")
    if not principal.is_staff and principal.role is not Role.UNIT:
        raise Forbidden("Only the reporting unit and the office change reports.")


async def update_report(
    db: Database, tasks: TasksClient, *, report_id: int, data: ReportUpdate, version: int, principal: Principal
) -> ReportRow:
    changes = cast(ContentChanges, data.model_dump(mode="json", exclude_unset=True))  # ReportUpdate, as JSON
    report = await changeable_report(db, tasks, report_id, principal)
    nulls = [k for k, v in changes.items() if v is None]
    if nulls:
        raise Unprocessable(f"{', '.join(nulls)} cannot be null.")
    refuse_delegate_values(report["role"], changes.get("measurements"))
    check_measurement_dates(changes.get("measurements"), report["period"], location="body")
    await _check_measurements(tasks, report["item_id"], changes.get("measurements"))
    async with db.transaction() as conn:
        report = await repository.report_at(conn, report_id, version)
        if report["status"] not in EDITABLE:
            raise Conflict(f"A {report['status']} report cannot be edited; only drafts and returned reports can.")
        await refuse_closed_period(conn, report["plan_id"], report["period"])
        # UPDATE … WHERE version = :seen: a submit that froze the content first makes this edit 412.
        return await repository.update_report(
            conn, report_id, changes, expected_version=version, actor=principal.subject
        )


async def delete_report(
    db: Database, tasks: TasksClient, *, report_id: int, version: int, principal: Principal
) -> None:
    """Delete a draft that was never submitted; the change log keeps what it held."""
    await changeable_report(db, tasks, report_id, principal)
    async with db.transaction() as conn:
        report = await repository.report_at(conn, report_id, version)
        if report["status"] != ReportStatus.DRAFT or report["submissions"]:
            raise Conflict("Only a draft that was never submitted can be deleted; a submitted report stays on record.")
        await refuse_closed_period(conn, report["plan_id"], report["period"])
        await report_records.delete(
            conn, report_id, expected_version=version, actor=principal.subject, guard=("status", "submissions")
        )


async def _check_visible(tasks: TasksClient, report: ReportRow, principal: Principal) -> None:
    """Another unit's report is 404, as if it did not exist, unless the caller's unit reads it by the rule a list
    selects by (scope.py): it leads its item, or the report is its delegate's (转办)."""
    if principal.role is not Role.UNIT or report["unit_id"] == principal.unit_id:
        return
    # Only a delegate's report is read through a delegation: the item's delegations are asked for then only.
    delegated_item = report["item_id"] if report["role"] == DELEGATE else None
    if not (await unit_scope(tasks, principal.own_unit, delegated_item)).admits(report):
        raise NotFound(f"Report {report['id']} does not exist.")


async def read_report(db: Database, tasks: TasksClient, *, report_id: int, principal: Principal) -> ReportRow:
    """The report, if the caller may see it: read first, and tasks_api asked once the connection is returned."""
    async with db.read() as conn:
        report = await repository.get_report(conn, report_id)
    await _check_visible(tasks, report, principal)
    return report


async def changeable_report(db: Database, tasks: TasksClient, report_id: int, principal: Principal) -> ReportRow:
    """The report as it is before a change, if the caller may change it. Read, and tasks_api asked, before the
    write transaction opens: no peer call while it holds its locks."""
    report = await read_report(db, tasks, report_id=report_id, principal=principal)
    _check_owner(principal, report)
    return report


async def list_reports(
    db: Database,
    tasks: TasksClient,
    filters: ReportFilters,
    *,
    principal: Principal,
    after_id: int | None,
    limit: int,
    item_number: str | None = None,
) -> list[ListedReport]:
    """A page of the reports the caller may see (`limit + 1` rows, for the page and the cursor after it); with
    `item_number`, on the plan's items so numbered. tasks_api is asked before the read: no connection is held."""
    scope = None
    if principal.role is Role.UNIT:  # on one item, its delegates' reports on it as well
        scope = await unit_scope(tasks, principal.own_unit, filters.item_id)
    numbered = None
    if item_number is not None:
        if filters.plan_id is None:
            raise Unprocessable("item_number needs plan_id: items are numbered within their plan.", at=ITEM_NUMBER)
        numbered = {item.id for item in await tasks.plan_items(filters.plan_id) if item.number == item_number}
    return await pages.report_page(db, filters, scope=scope, after_id=after_id, limit=limit, item_ids=numbered)


async def report_versions(
    db: Database, tasks: TasksClient, *, report_id: int, principal: Principal
) -> list[VersionRow]:
    """The report's submitted versions, if the caller may see the report (asked of tasks_api after the read)."""
    async with db.read() as conn:
        report = await repository.get_report(conn, report_id)
        rows = await repository.version_rows(conn, report_id)
    await _check_visible(tasks, report, principal)
    return rows


async def report_transitions(
    db: Database, tasks: TasksClient, *, report_id: int, principal: Principal
) -> list[TransitionRow]:
    """The report's status changes, if the caller may see the report (asked of tasks_api after the read)."""
    async with db.read() as conn:
        report = await repository.get_report(conn, report_id)
        rows = await repository.transition_rows(conn, report_id)
    await _check_visible(tasks, report, principal)
    return rows
