"""Compliance (报送情况): every expected (item, unit) pair of a period with the state of its report.

Pure functions over plain data: the plan's responsibilities and the period's reports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from services.common.contracts.tasks import Assignment, Item
from services.common.workdays import workdays_late
from services.reporting_api.oversight.lights import REPORTED

STATES = ("missing", "draft", "submitted", "accepted", "returned")

COMPLIANCE_RULE = """\
Every responsibility (lead and co) of every item of the plan expects one report per period. `state` is
`missing` (no report), `draft`, `submitted`, `accepted` or `returned`. A report that reached the office is
`late` when its first submission came after the due date. A pair that has not submitted (missing or draft) is
`overdue` once the due date has passed, and then also counts as late. Dates are Beijing (Asia/Shanghai) business
days: a report due on D is on time until 23:59 Beijing time on D. `days_late` (逾期工作日数) counts the official
working days (调休 included) after the due date up to the submission, or up to today for a pair not submitted, and
is at least 1 when late: a report filed on a weekend or holiday right after its due date is late by 1 working
day. An item closed (办结销号) before the due date owes nothing for it: its pairs are left out unless a report was
filed anyway."""


def lateness(report: Mapping[str, Any] | None, *, due_on: date, today: date) -> tuple[bool, int]:
    """(late, working days late) of a pair: a report that reached the office keeps its own; otherwise as of today."""
    if report and report["status"] in REPORTED:
        return bool(report["late"]), report["days_late"]
    days = workdays_late(due_on, today)
    return days > 0, days


def compliance_row(assignment: Assignment, item: Item | None, report: Mapping[str, Any] | None, *,
                   due_on: date, today: date) -> dict[str, Any]:
    state = report["status"] if report else "missing"
    overdue = state not in REPORTED and today > due_on
    late, days_late = lateness(report, due_on=due_on, today=today)
    return {
        "responsibility_id": assignment.id, "item_id": assignment.item_id,
        "item_key": item.key if item else None, "item_number": item.number if item else None,
        "item_title": item.title if item else None, "unit_id": assignment.unit_id,
        "unit_name": assignment.unit_name, "role": assignment.role, "state": state,
        "report_id": report["id"] if report else None,
        "late": late, "days_late": days_late,
        "overdue": overdue,
    }


def closed_before(items: Iterable[Item], due_on: date) -> set[int]:
    """Ids of the items closed (办结) before `due_on`: nothing is owed for it."""
    return {item.id for item in items if item.closed_on is not None and item.closed_on < due_on}


def compliance_rows(items: Iterable[Item], assignments: Iterable[Assignment],
                    reports: Mapping[tuple[int, int], Mapping[str, Any]], *, due_on: date,
                    today: date) -> list[dict[str, Any]]:
    """One row per responsibility that owes a report (or filed one), in responsibility id order.

    `reports` maps (item_id, unit_id) to the period's report ({id, status, late, days_late}).
    """
    by_id = {item.id: item for item in items}
    closed = closed_before(by_id.values(), due_on)
    return [compliance_row(a, by_id.get(a.item_id), report, due_on=due_on, today=today)
            for a in sorted(assignments, key=lambda a: a.id)
            if (report := reports.get((a.item_id, a.unit_id))) is not None or a.item_id not in closed]


def compliance_summary(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many pairs are expected, in each state, late and overdue."""
    states: Counter[str] = Counter()
    late = overdue = expected = 0
    for row in rows:
        expected += 1
        states[row["state"]] += 1
        late += row["late"]
        overdue += row["overdue"]
    return {"expected": expected, **{state: states.get(state, 0) for state in STATES}, "late": late,
            "overdue": overdue}
