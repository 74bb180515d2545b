"""The obligations of a window of due dates (GET /v1/plans/{id}/obligations): what notify_api reminds about.

The rows are compliance's (compliance.py) for each owed period due in the window, owed rows only. A dispatch asks for
every plan's, so the plan is read as its duties alone (contracts/plan_duties.py), into slotted dataclasses, not as the
structure's records the roll-ups keep (oversight/shape.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import chain, compress
from operator import itemgetter, not_

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal
from services.common.column_blocks import ColumnBlock, joined_blocks
from services.common.contracts.columns import Columns
from services.common.contracts.plan_duties import DutyAssignment, PlanDuties, plan_duties
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.common.driver_reads import read_all
from services.common.json import render
from services.reporting_api.instructions.owed import InstructionDutyEntry, window_duties
from services.reporting_api.oversight.compliance_rows import duty_columns, rows_of
from services.reporting_api.oversight.repository import answered_keys, by_pair, pending_reads, period_reports_read
from services.reporting_api.oversight.schemas import ComplianceRow
from services.reporting_api.oversight.schemas.rows import ComplianceEntry, ObligationView, ReportsByPair
from services.reporting_api.periods.obligations import Duty, PairKeys, owing_periods, pair_key, pair_keys
from services.reporting_api.periods.service import rhythm_of

OBLIGATIONS_RULE = """\
Every report owed in a window of due dates (from..to), one row per responsibility and owed period, in (due_on,
period, responsibility_id) order, with the state of its report as compliance gives it (the same rows compliance
lists for each owed period, owed rows only). `pending=true` keeps only those never submitted (missing, or a draft
not submitted yet; a report reopened for a correction reached the office and is not pending): what a reminder is
about. A unit token sees only its own. Beside the reports, `instructions` lists the leader
instructions to answer in the window (open only, given `pending`): notify_api reminds of those from
GET /v1/instructions, never from this list, so that a duty is reminded once."""

COLUMNS_RULE = """\
The same rows, all of them in one answer, as blocks of columns: a list of up to 1,000 rows per block, each block an
object of a list per field, the nth value of each list the nth row's (no field name repeated per row: half the
bytes of the pages, a third of their parse). The instructions are not listed here (GET /v1/instructions). A digest
ETag: asked again with If-None-Match, the same answer is 304."""
ROW_FIELDS = tuple(ComplianceRow.model_fields)  # a row's fields, in the contract's order


def duties_of(found: PlanDuties, unit_id: int | None) -> Columns[DutyAssignment]:
    """The plan's responsibilities (of one unit, given `unit_id`) in id order (as tasks_api answers them: the order
    is only checked)."""
    duties = found.assignments
    if unit_id is not None:
        duties = duties.where(map(unit_id.__eq__, duties.ints("unit_id")))
    return duties.ordered("id")


async def _period_reports(
    db: Database, conn: AsyncConnection, plan_id: int, period: str, unit_id: int | None, *, pending: bool
) -> tuple[PairKeys, ReportsByPair]:
    """The pairs a list leaves out (by pair_key) and the reports it shows, of one owed period. A pending list (a
    dispatch's) reads the filed pairs as keys and only the latest drafts as reports."""
    if not pending:
        (every,) = await read_all(db, conn, [period_reports_read(plan_id, period, unit_id=unit_id)])
        return PairKeys(()), by_pair(every)
    answered, drafts = await read_all(db, conn, pending_reads(plan_id, period, unit_id=unit_id))
    filed = by_pair(drafts)
    return PairKeys(answered_keys(answered), but={pair_key(*pair) for pair in filed}), filed


def owed_positions(assignments: Columns[Duty], owing: set[int], *, left_out: PairKeys) -> list[int]:
    """Where the owed obligations of an owed period are among `assignments` (those compliance lists as owed): the
    responsibilities of an item in `owing`, but the pairs `left_out` (by pair_key). A dispatch's plan has filed nearly
    everything, and leaves out the pairs whose latest report reached the office (repository.pending_reads): no row is
    made for those."""
    items, units = assignments.ints("item_id"), assignments.ints("unit_id")
    if owing.issuperset(items):  # every duty's item owes (a period most items owe): no positions to pick
        owes: Sequence[int] = range(len(items))
        keys = pair_keys(items, units)
    else:
        owes = [at for at, item_id in enumerate(items) if item_id in owing]
        keys = pair_keys(map(items.__getitem__, owes), map(units.__getitem__, owes))
    return list(compress(owes, map(not_, left_out.among(keys))))


@dataclass(frozen=True, slots=True)
class OwedQuery:
    """What an obligation list asks for: a plan's reports owed with a due date in [start, end], as of a day; of one
    unit (a unit token's: its own); only those not submitted yet, given `pending`."""

    plan_id: int
    start: date
    end: date
    today: date
    unit_id: int | None
    pending: bool


def obligation_key(row: ComplianceEntry) -> tuple[str, str, int]:
    """The order (and cursor) of the obligation list."""
    return row["due_on"], row["period"], row["responsibility_id"]  # an ISO date: sorts as the date


async def obligations(db: Database, tasks: TasksClient, query: OwedQuery, principal: Principal) -> ObligationView:
    """The reports owed (a unit token: its own), with where each stands: the rows compliance gives for each owed
    period, owed rows only, built only for the pairs kept (owed_positions); a due date nothing is owed on reads no
    reports at all."""
    parts, answers = await _by_period(db, tasks, query, principal)
    rows = list(chain.from_iterable(map(rows_of, parts)))  # in obligation_key order: see _by_period
    return {
        "plan_id": query.plan_id, "from": query.start, "to": query.end, "as_of": query.today, "rows": rows,
        "instructions": answers,
    }  # fmt: skip


async def obligation_columns(db: Database, tasks: TasksClient, query: OwedQuery, principal: Principal) -> bytes:
    """The same rows as blocks of columns, under the list's header (GET /v1/plans/{id}/obligations/columns), made
    without a row each (duty_columns): the rows of each owed period, in (due_on, period) order, are the list's."""
    parts, _ = await _by_period(db, tasks, query, principal)
    header = {"plan_id": query.plan_id, "from": query.start, "to": query.end, "as_of": query.today}
    return render({**header, "obligations": joined_blocks(parts, ROW_FIELDS)})


async def _by_period(
    db: Database, tasks: TasksClient, query: OwedQuery, principal: Principal
) -> tuple[list[ColumnBlock], list[InstructionDutyEntry]]:
    """The obligations of each owed period of the window as columns (duty_columns), in (due_on, period) order, and
    the window's instruction duties (a unit token: its own). Each period's rows are in responsibility id order (the
    duties' order, the positions kept in it), so the parts one after the other are in obligation_key order."""
    query = replace(query, unit_id=principal.scoped_unit(query.unit_id))
    found_duties = await plan_duties(tasks, query.plan_id)  # 404 for an unknown plan, before anything else
    items, duties, today = found_duties.items, duties_of(found_duties, query.unit_id), query.today
    labels, made = items.by("id"), list[tuple[tuple[date, str], ColumnBlock]]()
    async with db.read() as conn:
        rhythm = await rhythm_of(conn, found_duties.plan)
        wanted = owing_periods(rhythm, items, duties.ints("item_id"), query.start, query.end)
        answers = await window_duties(
            conn, query.plan_id, query.start, query.end, unit_id=query.unit_id, today=today, pending=query.pending
        )
        # One period's reports at a time, its rows made before the next is read: a province's period is 100,000
        # reports; read side by side, a dispatch's peak was 361 MB, one at a time 281.
        for owed, owing in wanted:
            period = owed.period.id
            left_out, filed = await _period_reports(
                db, conn, query.plan_id, period, query.unit_id, pending=query.pending
            )
            kept = owed_positions(duties, owing, left_out=left_out)
            made.append(((owed.due_on, period), duty_columns(duties, kept, labels, filed, owed, today=today)))
            del left_out, filed  # before the next period's are read
    return [part for _, part in sorted(made, key=itemgetter(0))], answers
