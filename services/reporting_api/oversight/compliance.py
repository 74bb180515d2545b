"""Compliance (报送情况): every expected (item, unit) pair of a period with the state of its report.

Pure functions over plain data: the period's obligations (periods/obligations.py) and the reports answering it.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import compress
from operator import attrgetter, not_
from typing import NamedTuple, overload

from services.common.contracts.plan_rows import PlanAssignment, PlanItem
from services.reporting_api.instructions.owed import InstructionDutyEntry, InstructionDutyTotals, duty_totals
from services.reporting_api.oversight.compliance_rows import NOT_LATE, labelled_rows, late_as_of
from services.reporting_api.oversight.filed import FiledReports
from services.reporting_api.oversight.lights import REPORTED
from services.reporting_api.oversight.schemas.rows import (
    ComplianceEntry,
    ComplianceTotals,
    ViewHeader,
)
from services.reporting_api.periods.calendar import ScheduledPeriod
from services.reporting_api.periods.obligations import Obligation, Rhythm, obligations_of, pair_keys

COMPLIANCE_RULE = """\
Every responsibility (lead and co) of an item expects one report per due date of the item's cadence (the plan's
rules, the item's kind or the item itself: monthly, quarterly, half_yearly, yearly or none). On each due date the
report is the one of the largest period ending that day: with the default quarterly cadence 2024-Q1 (quarterly,
季度梳理), 2024-H1 (half_year, 半年小结), 2024-Q3 and 2024 (annual, 年度汇总). Asked for a period, compliance lists
the report that answers for it (`owed_period`: 2024-Q2 and 2024-M06 are answered by 2024-H1, 2024-Q4 and 2024-H2 by
2024). An item owes nothing for a period starting after its end date, nor for a due date after it was closed
(办结销号). A report filed for a period the item no longer owes (its cadence changed, or it was closed) is still
listed, with `owed` false; `expected` counts only the owed rows. `state` is `missing` (no report), `draft`,
`submitted`, `accepted` or `returned`. A report that reached the office (submitted once) is `late` when its first
submission came after the due date; it keeps that lateness when the office reopens it for a correction, or its unit
withdraws it after an earlier version was reviewed: its `state` is `draft` again, yet it is not overdue. A pair that
owes a report and has not submitted it (missing, or a draft never submitted) is `overdue` once the due date has
passed, and then also counts as late. Dates are Beijing (Asia/Shanghai) business days: a report due
on D is on time until 23:59 Beijing time on D. `days_late` (逾期工作日数) counts the official working days (调休
included) after the due date up to the submission, or up to today for a pair not submitted, and is at least 1 when
late: a report filed on a weekend or holiday right after its due date is late by 1 working day."""


def compliance_summary(rows: Iterable[ComplianceEntry]) -> ComplianceTotals:
    """How many pairs are expected, in each state, late and overdue."""
    states: Counter[str] = Counter()
    late = overdue = expected = 0
    for row in rows:
        expected += row["owed"]
        states[row["state"]] += 1
        late += row["late"]
        overdue += row["overdue"]
    return _totals(expected, states, late, overdue)


@dataclass(frozen=True, slots=True)
class CompliancePages:
    """A period's compliance whose rows are built a page at a time: a plan's pairs are thousands, a page is 50, and
    building every row (a dict of 17 fields, its lateness) cost ten times the reads. The summary counts every pair
    in scope (compliance_summary's figures, counted without rows); `kept` holds the obligations the `state` filter
    kept, in responsibility id order (the cursor's)."""

    header: ViewHeader
    summary: ComplianceTotals
    kept: Sequence[Obligation]
    items: Mapping[int, PlanItem]
    reports: FiledReports
    today: date
    duties: Sequence[InstructionDutyEntry] = ()  # the period's leader instructions owed (instructions/owed.py)

    @property
    def duty_summary(self) -> InstructionDutyTotals:
        return duty_totals(self.duties)

    def rows_after(self, after: int | None, limit: int) -> list[ComplianceEntry]:
        """`limit + 1` rows after the responsibility id `after` (the first ones when None)."""
        start = 0 if after is None else bisect_right(self.kept, after, key=_responsibility_id)
        return labelled_rows(self.items, self.kept[start : start + limit + 1], self.reports, today=self.today)


def _responsibility_id(obligation: Obligation) -> int:
    return obligation.assignment.id


class DutySplit(NamedTuple):
    """A plan's responsibilities (in id order) on the items owing a period and on the others, with the pair keys
    (periods/obligations.pair_key) of the first: what compliance counts the reports of, made once per owed period
    (oversight/shape.Owing keeps it) rather than once per request."""

    owing: Sequence[PlanAssignment]
    keys: array[int]
    others: Sequence[PlanAssignment]

    @classmethod
    def of(cls, duties: Sequence[PlanAssignment], owing: Collection[int]) -> DutySplit:
        owes = list(map(owing.__contains__, map(attrgetter("item_id"), duties)))
        owed = list(compress(duties, owes))
        keys = array("q", pair_keys(map(attrgetter("item_id"), owed), map(attrgetter("unit_id"), owed)))
        return cls(owed, keys, list(compress(duties, map(not_, owes))))


class OwedObligations(Sequence[Obligation]):
    """The obligations of duties (in responsibility id order) that all owe one owed period, each made when read: a
    plan's thousands are summed up (summary) without one being made, and a page reads fifty."""

    def __init__(self, split: DutySplit, scheduled: ScheduledPeriod) -> None:
        self.duties, self.keys, self.scheduled = split.owing, split.keys, scheduled

    def __len__(self) -> int:
        return len(self.duties)

    @overload
    def __getitem__(self, at: int) -> Obligation: ...

    @overload
    def __getitem__(self, at: slice) -> list[Obligation]: ...

    def __getitem__(self, at: int | slice) -> Obligation | list[Obligation]:
        if isinstance(at, slice):
            return [Obligation(duty, self.scheduled) for duty in self.duties[at]]
        return Obligation(self.duties[at], self.scheduled)

    def summary(self, reports: FiledReports, today: date) -> ComplianceTotals:
        """compliance_summary's figures of these obligations, counted over the reports found (FiledReports.counted)."""
        pairs, counted = len(self.keys), reports.counted(self.keys)
        states = dict.fromkeys(("missing", "draft", *REPORTED), 0)
        states["missing"] = unreported = pairs - sum(counted.values())
        late = 0
        for (status, reached, was_late), count in counted.items():
            states[status] = states.get(status, 0) + count
            if reached:  # as lateness(): a report that reached the office keeps its own, a reopened draft too
                late += count if was_late else 0
            else:
                unreported += count
        due_on = self.scheduled.due_on
        late += unreported if late_as_of(due_on, today)[0] else 0
        return _totals(pairs, states, late, unreported if today > due_on else 0)


def period_obligations(
    rhythm: Rhythm,
    period_id: str,
    duties: Sequence[PlanAssignment],
    owing: Collection[int],
    filed: FiledReports,
    split: DutySplit | None = None,
) -> Sequence[Obligation]:
    """obligations_of's answer for `duties` (in id order) and the items `owing` the period's report: when every duty
    that filed owes, the owed ones made only when read (OwedObligations); else obligations_of's own list. `split`:
    the duties split by `owing`, when the caller holds it already (oversight/shape.Owing)."""
    split = DutySplit.of(duties, owing) if split is None else split
    owed = OwedObligations(split, rhythm.owed_for(period_id))
    # A duty on an item that does not owe, but filed for the period: listed too, as not owed.
    if filed and any((duty.item_id, duty.unit_id) in filed for duty in split.others):
        return obligations_of(rhythm, period_id, (), duties, filed, owing=owing)
    return owed


def _totals(expected: int, states: Mapping[str, int], late: int, overdue: int) -> ComplianceTotals:
    return {
        "expected": expected,
        "missing": states["missing"],
        "draft": states["draft"],
        "submitted": states["submitted"],
        "accepted": states["accepted"],
        "returned": states["returned"],
        "late": late,
        "overdue": overdue,
    }


def compliance_pages(
    header: ViewHeader,
    items: Mapping[int, PlanItem],
    obligations: Sequence[Obligation],
    reports: FiledReports,
    *,
    today: date,
    state: str | None,
    duties: Sequence[InstructionDutyEntry] = (),
) -> CompliancePages:
    """The summary of every obligation and those of `state` (all when None), rows not built yet; `items` by id."""
    if state is None and isinstance(obligations, OwedObligations):  # every one owed: counted without a row
        return CompliancePages(header, obligations.summary(reports, today), obligations, items, reports, today, duties)
    states = dict.fromkeys(("missing", "draft", *REPORTED), 0)
    late = overdue = expected = 0
    kept: list[Obligation] = []
    facts: dict[date, tuple[bool, int]] = {}  # late_as_of each due date, once
    for o in obligations:
        assignment, scheduled, owed = o
        at = reports.place(assignment.item_id, assignment.unit_id)
        row_state = "missing" if at is None else reports.status(at)
        states[row_state] = states.get(row_state, 0) + 1
        expected += owed
        due_on = scheduled.due_on
        if due_on not in facts:
            facts[due_on] = late_as_of(due_on, today)
        late += reports.lateness(at, facts[due_on] if owed else NOT_LATE)[0]
        overdue += owed and not reports.reached(at) and today > due_on
        if state is None or row_state == state:
            kept.append(o)
    return CompliancePages(header, _totals(expected, states, late, overdue), kept, items, reports, today, duties)
