"""Traffic lights (红黄绿灯) per item for a reporting period.

Pure functions over plain data: the plan's items and responsibilities, the lead units' reports for the
period, and indicator progress (indicators.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypedDict, TypeVar, cast

from services.common.contracts.plan_rows import PlanAssignment, PlanItem
from services.reporting_api.oversight.schemas.rows import LeadState, LightEntry, LightTotals, PeriodReport

LIGHTS = ("green", "yellow", "red", "done")
REPORTED = ("submitted", "accepted", "returned")  # the report reached the office at least once

LIGHT_RULE = """\
A light is given to every item that has a lead unit (牵头单位) and is not cancelled; the item's lead unit is
its first responsibility with role `lead`. Only the report the lead unit filed as lead for the period counts,
and only once it was submitted (a draft is not a report yet); its self-assessment is the report's `self_status`.
The first rule that applies wins:

1. **done** — the item is closed in tasks_api (办结销号, `item_closed`), or the lead report is accepted and says
   `completed` (`accepted_as_completed`). A closed item owes nothing more: it is done in every period.
2. **red** — the lead report says `delayed` (`lead_report_delayed`); or the period's due date has passed and
   there is no lead report (`overdue_without_report`); or an indicator of the item is behind its straight-line
   path to target by more than the plan's `indicator_margin` (`indicator_behind:<indicator key>`).
   Or an open leader instruction (领导批示) on the item is past its `answer_by` date, Beijing business date
   (`instruction_overdue`).
3. **yellow** — the lead report says `at_risk` (`lead_report_at_risk`); or the report is due within the plan's
   `due_soon_days` days and missing (`due_soon_without_report`); or an open instruction's answer is due within
   `due_soon_days` days (`instruction_due_soon`).

The lead report is the one answering for the period (for 2024-Q2 the half-year summary 2024-H1, see compliance);
an item whose cadence owes no report for the period (or that ended or was closed before) is never red or yellow
for a missing report.
4. **green** — otherwise (on track); no reasons.

`reasons` lists every code of the winning rule that applies. Each row also carries the item's `progress_status`
(not_started, in_progress, completed or closed), derived from accepted reports and the close-out."""


def lead_assignments(assignments: Iterable[PlanAssignment]) -> dict[int, PlanAssignment]:
    """Each item's lead responsibility: the first one (by id) with role lead."""
    leads: dict[int, PlanAssignment] = {}
    for assignment in sorted(assignments, key=lambda a: a.id):
        if assignment.role == "lead":
            leads.setdefault(assignment.item_id, assignment)
    return leads


def _done(item: PlanItem, report: LeadState | None) -> list[str]:
    reasons = []
    if item.status == "closed":
        reasons.append("item_closed")
    if report and report["status"] == "accepted" and report["self_status"] == "completed":
        reasons.append("accepted_as_completed")
    return reasons


def _red(report: LeadState | None, behind: Sequence[str], overdue: bool, duty_overdue: bool) -> list[str]:
    reasons = []
    if report and report["self_status"] == "delayed":
        reasons.append("lead_report_delayed")
    if report is None and overdue:
        reasons.append("overdue_without_report")
    reasons += [f"indicator_behind:{key}" for key in behind]
    return reasons + (["instruction_overdue"] if duty_overdue else [])


def _yellow(report: LeadState | None, due_soon: bool, duty_due_soon: bool) -> list[str]:
    reasons = []
    if report and report["self_status"] == "at_risk":
        reasons.append("lead_report_at_risk")
    if report is None and due_soon:
        reasons.append("due_soon_without_report")
    return reasons + (["instruction_due_soon"] if duty_due_soon else [])


def light_of(
    item: PlanItem,
    report: LeadState | None,
    behind: Sequence[str],
    *,
    due_on: date | None,
    today: date,
    due_soon_days: int,
    answer_by: date | None = None,
) -> tuple[str, list[str]]:
    """The light of one item and its reasons; `report` is the lead unit's report (None when missing or draft);
    `behind` the keys of its indicators behind their path (indicators.behind_keys); `due_on` is None when the item
    owes no report for the period; `answer_by` the earliest answer date of its open instructions (None: no duty).
    The rules are tried in turn: the first that applies wins."""
    if report is not None and report["status"] not in REPORTED:
        report = None
    days_left = (due_on - today).days if due_on else due_soon_days + 1  # owing nothing: never overdue, never due
    duty_left = (answer_by - today).days if answer_by else due_soon_days + 1
    if reasons := _done(item, report):
        return "done", reasons
    if reasons := _red(report, behind, days_left < 0, duty_left < 0):
        return "red", reasons
    if reasons := _yellow(report, 0 <= days_left <= due_soon_days, 0 <= duty_left <= due_soon_days):
        return "yellow", reasons
    return "green", []


# The lead reports a light is given: a roll-up's read only their states (LeadState), the lights view whole rows
# (PeriodReport: the report's id is shown).
R = TypeVar("R", bound=LeadState)


@dataclass(frozen=True, slots=True)
class LightContext(Generic[R]):
    """What the lights of a period read besides the items: `reports` maps (item_id, unit_id) to a report of the
    period ({id, status, self_status}); `behind` maps item ids to the keys of their indicators that are behind
    (indicators.behind_keys); `owing` holds the items that owe the period's report (None: all); `duties` each
    item's earliest answer date of an open leader instruction (earliest_answer_dates)."""

    reports: Mapping[tuple[int, int], R]
    behind: Mapping[int, Sequence[str]]
    due_on: date
    today: date
    due_soon_days: int
    owing: Collection[int] | None = None
    duties: Mapping[int, date] = field(default_factory=dict)


Lit = tuple[PlanItem, PlanAssignment, R | None, str, list[str]]  # an item, its lead, lead report, light, reasons


def lit_items(
    items: Iterable[PlanItem], leads: Mapping[int, PlanAssignment], context: LightContext[R]
) -> Iterator[Lit[R]]:
    """Every item that has a lead unit (`leads`: lead_assignments) and is not cancelled, in the order given, with
    its lead, the lead's report and its light."""
    reports, behind, owing = context.reports, context.behind, context.owing
    for item in items:
        lead = leads.get(item.id)
        if lead is None or item.status == "cancelled":
            continue
        report = reports.get((item.id, lead.unit_id))
        light, reasons = light_of(
            item,
            report,
            behind.get(item.id, ()),
            due_on=context.due_on if owing is None or item.id in owing else None,
            today=context.today,
            due_soon_days=context.due_soon_days,
            answer_by=context.duties.get(item.id),
        )
        yield item, lead, report, light, reasons


def traffic_lights(
    items: Iterable[PlanItem],
    leads: Mapping[int, PlanAssignment],
    context: LightContext[PeriodReport],
    progress_status: Mapping[int, str],
) -> list[LightEntry]:
    """The light of every item that has a lead unit, in the order of `items` (item id order); `progress_status` is
    the output of progress.progress_of_items."""
    return [
        _light_entry(item, lead, report, progress_status.get(item.id, "not_started"), light, reasons)
        for item, lead, report, light, reasons in lit_items(items, leads, context)
    ]


def lights_by_item(
    items: Iterable[PlanItem],
    leads: Mapping[int, PlanAssignment],
    context: LightContext[R],
    progress_status: Mapping[int, str],
) -> dict[int, tuple[str, str]]:
    """Item id → (light, progress status), of the items traffic_lights lists: all a roll-up counts of them."""
    return {
        item.id: (light, progress_status.get(item.id, "not_started"))
        for item, _, _, light, _ in lit_items(items, leads, context)
    }


def _light_entry(
    item: PlanItem,
    lead: PlanAssignment,
    report: PeriodReport | None,
    progress_status: str,
    light: str,
    reasons: list[str],
) -> LightEntry:
    return {
        "item_id": item.id,
        "item_key": item.key,
        "item_number": item.number,
        "item_title": item.title,
        "kind": item.kind,
        "item_status": item.status,
        "progress_status": progress_status,
        "lead_unit_id": lead.unit_id,
        "lead_unit_name": lead.unit_name,
        "report_id": report["id"] if report else None,
        "report_status": report["status"] if report else None,
        "self_status": report["self_status"] if report else None,
        "light": light,
        "reasons": reasons,
    }


def light_counts(rows: Iterable[LightEntry]) -> LightTotals:
    return light_totals(Counter(row["light"] for row in rows))


def light_totals(counts: Mapping[str, int]) -> LightTotals:
    """The counts per light (LIGHTS), 0 for a light none shows."""
    return {
        "green": counts.get("green", 0),
        "yellow": counts.get("yellow", 0),
        "red": counts.get("red", 0),
        "done": counts.get("done", 0),
    }


class DutyRow(TypedDict):
    """An open instruction with an answer date (oversight/repository.py duties_statement)."""

    item_id: int
    answer_by: date


def earliest_answer_dates(rows: Iterable[Mapping[str, object]]) -> dict[int, date]:
    """Each item's earliest answer date of an open leader instruction (领导批示), from rows of DutyRow."""
    earliest: dict[int, date] = {}
    for row in cast(Iterable[DutyRow], rows):
        item_id, answer_by = row["item_id"], row["answer_by"]
        if item_id not in earliest or answer_by < earliest[item_id]:
            earliest[item_id] = answer_by
    return earliest
