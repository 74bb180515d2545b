"""A compliance row (报送情况的一行): one obligation of a period, its item's labels and the state of its report, with
the period's facts worked out once for its rows; made for a page of compliance, every row of a roll-up's period, and
a dispatch's 200,000 pending obligations (obligation_list.py), so each is made with as little as it needs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import NamedTuple, TypeGuard

from services.common.column_blocks import ColumnBlock
from services.common.contracts.columns import Columns
from services.common.workdays import workdays_late
from services.reporting_api.oversight.schemas.rows import AnsweringReport, ComplianceEntry, Filed, PeriodReport
from services.reporting_api.periods.calendar import ScheduledPeriod
from services.reporting_api.periods.obligations import Duty, ItemLabel, Obligation


def late_as_of(due_on: date, today: date) -> tuple[bool, int]:
    """(late, working days late) today of a report due on `due_on` that has not reached the office."""
    days = workdays_late(due_on, today)
    return days > 0, days


NOT_LATE = (False, 0)  # the lateness of a pair owing nothing that has not reported: nothing was due of it


def reached(report: Filed | None) -> TypeGuard[Filed]:
    """Whether a pair's report reached the office (repository.REACHED, read with it): once it has, it is neither
    missing nor overdue, even while a draft again (reopened for a correction)."""
    return report is not None and bool(report["reached"])


def lateness(report: Filed | None, unreported: tuple[bool, int]) -> tuple[bool, int]:
    """(late, working days late) of a pair: a report that reached the office keeps its own; any other pair is
    `unreported` (late_as_of its due date: the same for every pair of a period, so worked out once per period)."""
    if reached(report):
        return bool(report["late"]), report["days_late"]
    return unreported


class PeriodFacts(NamedTuple):
    """What every row of one scheduled period shows alike, worked out once for its rows (a dispatch builds 200,000
    rows of a handful of periods: each asked its period, report type, date and lateness anew, a third of a row)."""

    period: str
    report_type: str
    due_on: str
    past_due: bool
    unreported: tuple[bool, int]  # late_as_of the due date: a pair whose report has not reached the office

    @classmethod
    def of(cls, scheduled: ScheduledPeriod, today: date) -> PeriodFacts:
        due_on, period = scheduled.due_on, scheduled.period
        unreported = late_as_of(due_on, today)
        return cls(period.id, period.report_type.value, due_on.isoformat(), today > due_on, unreported)


def compliance_row(
    obligation: Obligation, item: ItemLabel | None, report: AnsweringReport | None, facts: PeriodFacts
) -> ComplianceEntry:
    """The row of an obligation, of its period's facts (PeriodFacts.of its `scheduled`)."""
    a = obligation.assignment
    return _row(a.id, a.item_id, a.unit_id, a.unit_name, a.role, obligation.owed, item, report, facts)


def _row(
    responsibility_id: int,
    item_id: int,
    unit_id: int,
    unit_name: str,
    role: str,
    owed: bool,
    item: ItemLabel | None,
    report: AnsweringReport | None,
    facts: PeriodFacts,
) -> ComplianceEntry:
    state = report["status"] if report else "missing"
    late, days_late = lateness(report, facts.unreported if owed else NOT_LATE)
    return {
        "responsibility_id": responsibility_id,
        "item_id": item_id,
        "item_key": item.key if item else None,
        "item_number": item.number if item else None,
        "item_title": item.title if item else None,
        "unit_id": unit_id,
        "unit_name": unit_name,
        "role": role,
        "period": facts.period,
        "report_type": facts.report_type,
        "due_on": facts.due_on,
        "owed": owed,
        "state": state,
        "report_id": report["id"] if report else None,
        "late": late,
        "days_late": days_late,
        "overdue": owed and not reached(report) and facts.past_due,
    }


DUTY_FIELDS = ("id", "item_id", "unit_id", "unit_name", "role")  # a row's, of its responsibility (_row's order)


REPORT_FIELDS = ("state", "report_id", "late", "days_late", "overdue")  # a row's, of its report (_row's)


def duty_columns(
    duties: Columns[Duty],
    at: Sequence[int],
    by_id: Mapping[int, ItemLabel],
    reports: Mapping[tuple[int, int], PeriodReport],
    scheduled: ScheduledPeriod,
    *,
    today: date,
) -> ColumnBlock:
    """The rows (compliance_row's) of the owed obligations of `scheduled` of the responsibilities at positions `at` of
    `duties`, in that order, as a list per field (ComplianceRow's), made from the columns without a row each: a pair
    with no report (nearly every pair of a dispatch's pending list) shows the period's facts, so those columns are
    made whole, and only the pairs with a report are made a row (_row's rule) and written into them. A dispatch's
    200,000 rows took 0.59 s through a record and an obligation each, 0.3 s as a dict each."""
    facts = PeriodFacts.of(scheduled, today)
    rid, item_ids, unit_ids, names, roles = (list(map(duties.column(name).__getitem__, at)) for name in DUTY_FIELDS)
    labels, count, (late, days_late) = list(map(by_id.get, item_ids)), len(at), facts.unreported
    columns: ColumnBlock = {"responsibility_id": rid, "item_id": item_ids}
    for name in ("key", "number", "title"):
        columns[f"item_{name}"] = [getattr(label, name) if label else None for label in labels]
    columns |= {"unit_id": unit_ids, "unit_name": names, "role": roles}
    facts_shown = {"period": facts.period, "report_type": facts.report_type, "due_on": facts.due_on, "owed": True}
    unreported = {"state": "missing", "report_id": None, "late": late, "days_late": days_late}
    columns |= {name: [value] * count for name, value in (facts_shown | unreported).items()}
    columns["overdue"] = [facts.past_due] * count
    for n, report in enumerate(map(reports.get, zip(item_ids, unit_ids, strict=True))):
        if report is not None:
            row = _row(rid[n], item_ids[n], unit_ids[n], names[n], roles[n], True, labels[n], report, facts)
            for name in REPORT_FIELDS:
                columns[name][n] = row[name]  # type: ignore[literal-required]  # one of the row's fields
    return columns


def rows_of(columns: ColumnBlock) -> list[ComplianceEntry]:
    """duty_columns' rows, one dict each (the obligation list's pages)."""
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]  # type: ignore[misc]


def compliance_rows(
    items: Iterable[ItemLabel],
    obligations: Iterable[Obligation],
    reports: Mapping[tuple[int, int], AnsweringReport],
    *,
    today: date,
) -> list[ComplianceEntry]:
    """One row per obligation, in the obligations' order (responsibility id).

    `reports` maps (item_id, unit_id) to the report answering for the period ({id, status, late, days_late}).
    """
    return labelled_rows({item.id: item for item in items}, obligations, reports, today=today)


def labelled_rows(
    by_id: Mapping[int, ItemLabel],
    obligations: Iterable[Obligation],
    reports: Mapping[tuple[int, int], AnsweringReport],
    *,
    today: date,
) -> list[ComplianceEntry]:
    rows: list[ComplianceEntry] = []
    scheduled: ScheduledPeriod | None = None
    facts: PeriodFacts | None = None
    for o in obligations:
        if facts is None or o.scheduled is not scheduled:  # a period's obligations come together
            scheduled, facts = o.scheduled, PeriodFacts.of(o.scheduled, today)
        a = o.assignment
        rows.append(compliance_row(o, by_id.get(a.item_id), reports.get((a.item_id, a.unit_id)), facts))
    return rows
