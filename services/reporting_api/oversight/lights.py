"""Traffic lights (红黄绿灯) per item for a reporting period.

Pure functions over plain data: the plan's items and responsibilities, the lead units' reports for the
period, and indicator progress (indicators.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import TypedDict, cast

from services.common.contracts.tasks import Assignment, Item
from services.reporting_api.oversight.schemas.rows import IndicatorEntry, LightEntry, LightTotals, PeriodReport

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


def lead_assignments(assignments: Iterable[Assignment]) -> dict[int, Assignment]:
    """Each item's lead responsibility: the first one (by id) with role lead."""
    leads: dict[int, Assignment] = {}
    for assignment in sorted(assignments, key=lambda a: a.id):
        if assignment.role == "lead":
            leads.setdefault(assignment.item_id, assignment)
    return leads


def _done(item: Item, report: PeriodReport | None) -> list[str]:
    reasons = []
    if item.status == "closed":
        reasons.append("item_closed")
    if report and report["status"] == "accepted" and report["self_status"] == "completed":
        reasons.append("accepted_as_completed")
    return reasons


def _red(
    report: PeriodReport | None, progress: Sequence[IndicatorEntry], overdue: bool, duty_days_left: int | None
) -> list[str]:
    reasons = []
    if report and report["self_status"] == "delayed":
        reasons.append("lead_report_delayed")
    if report is None and overdue:
        reasons.append("overdue_without_report")
    reasons += [f"indicator_behind:{p['key']}" for p in progress if p["behind"]]
    return reasons + (["instruction_overdue"] if duty_days_left is not None and duty_days_left < 0 else [])


def _yellow(report: PeriodReport | None, due_soon: bool, duty_due_soon: bool) -> list[str]:
    reasons = []
    if report and report["self_status"] == "at_risk":
        reasons.append("lead_report_at_risk")
    if report is None and due_soon:
        reasons.append("due_soon_without_report")
    return reasons + (["instruction_due_soon"] if duty_due_soon else [])


def light_of(
    item: Item,
    report: PeriodReport | None,
    progress: Sequence[IndicatorEntry],
    *,
    due_on: date | None,
    today: date,
    due_soon_days: int,
    answer_by: date | None = None,
) -> tuple[str, list[str]]:
    """The light of one item and its reasons; `report` is the lead unit's report (None when missing or draft);
    `due_on` is None when the item owes no report for the period; `answer_by` the earliest answer date of the
    item's open instructions (None: no duty)."""
    if report is not None and report["status"] not in REPORTED:
        report = None
    days_left = (due_on - today).days if due_on else due_soon_days + 1  # owing nothing: never overdue, never due
    duty_left = (answer_by - today).days if answer_by else None
    duty_soon = duty_left is not None and 0 <= duty_left <= due_soon_days
    for light, reasons in (
        ("done", _done(item, report)),
        ("red", _red(report, progress, days_left < 0, duty_left)),
        ("yellow", _yellow(report, 0 <= days_left <= due_soon_days, duty_soon)),
    ):
        if reasons:
            return light, reasons
    return "green", []


def traffic_lights(
    items: Iterable[Item],
    assignments: Iterable[Assignment],
    reports: Mapping[tuple[int, int], PeriodReport],
    progress: Iterable[IndicatorEntry],
    *,
    due_on: date,
    today: date,
    due_soon_days: int,
    progress_status: Mapping[int, str],
    owing: Collection[int] | None = None,
    duties: Mapping[int, date] | None = None,
) -> list[LightEntry]:
    """The light of every item that has a lead unit, in item id order.

    `reports` maps (item_id, unit_id) to a report of the period ({id, status, self_status}); `progress` is the
    output of indicators.plan_indicator_progress; `progress_status` that of progress.progress_of_items; `owing`
    holds the items that owe the period's report (None: all); `duties` the earliest answer date of each item's
    open instructions.
    """
    leads, by_item = lead_assignments(assignments), _progress_by_item(progress)
    rows: list[LightEntry] = []
    for item in sorted(items, key=lambda i: i.id):
        lead = leads.get(item.id)
        if lead is None or item.status == "cancelled":
            continue
        report = reports.get((item.id, lead.unit_id))
        owes = owing is None or item.id in owing
        light, reasons = light_of(
            item,
            report,
            by_item.get(item.id, []),
            due_on=due_on if owes else None,
            today=today,
            due_soon_days=due_soon_days,
            answer_by=(duties or {}).get(item.id),
        )
        rows.append(_light_entry(item, lead, report, progress_status.get(item.id, "not_started"), light, reasons))
    return rows


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


def _progress_by_item(progress: Iterable[IndicatorEntry]) -> dict[int, list[IndicatorEntry]]:
    by_item: dict[int, list[IndicatorEntry]] = {}
    for row in progress:
        by_item.setdefault(row["item_id"], []).append(row)
    return by_item


def _light_entry(
    item: Item, lead: Assignment, report: PeriodReport | None, progress_status: str, light: str, reasons: list[str]
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
