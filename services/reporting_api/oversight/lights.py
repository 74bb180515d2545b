"""Traffic lights (红黄绿灯) per item for a reporting period.

Pure functions over plain data: the plan's items and responsibilities, the lead units' reports for the
period, and indicator progress (indicators.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Generic, TypedDict, TypeVar, cast

from services.common.contracts.plan_rows import PlanAssignment, PlanItem
from services.reporting_api.oversight.schemas.rows import LeadState, LightEntry, LightTotals, PeriodReport
from services.reporting_api.periods.obligations import pair_key, pair_keys

LIGHTS = ("green", "yellow", "red", "done")
# The statuses of a report that is with the office (a compliance state each). Whether a report reached the office is
# not its status: a report reopened for a correction is a draft that did (repository.REACHED, read as `reached`).
REPORTED = ("submitted", "accepted", "returned")

LIGHT_RULE = """\
A light is given to every item that has a lead unit (牵头单位) and is not cancelled; the item's lead unit is
its first responsibility with role `lead`. Only the report the lead unit filed as lead for the period counts,
and only once it was submitted (a draft never submitted is not a report yet; one the office reopened for a
correction still is); its self-assessment is the report's `self_status`.
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


# Where a due date stands from today, as the rules read it: passed, within the plan's due_soon_days, or later.
OVERDUE, DUE_SOON, LATER = -1, 0, 1


def window(on: date | None, today: date, due_soon_days: int) -> int:
    """OVERDUE, DUE_SOON or LATER for a date seen from `today` (None, no date: never overdue or due)."""
    if on is None:
        return LATER
    days_left = (on - today).days
    return OVERDUE if days_left < 0 else DUE_SOON if days_left <= due_soon_days else LATER


# A plan's items fall into a handful of distinct cases (closed or not, the lead report's state, the indicators
# behind, the due date's and the duty's windows): judged once per case, not once per item. A typical plan's 1,021
# lights took ~4 ms a roll-up judged one by one, each rule building its list of reasons.
@lru_cache(maxsize=4096)
def judged(
    closed: bool, status: str | None, self_status: str | None, behind: tuple[str, ...], due: int, duty: int
) -> tuple[str, tuple[str, ...]]:
    """The light and its reasons in one case: `status` and `self_status` those of a lead report that reached the
    office (None: no such report), `behind` the keys of the indicators behind, `due` and `duty` the windows (window)
    of the report's due date and of the earliest answer date of an open instruction. The first rule that applies
    wins."""
    if reasons := _done(closed, status, self_status):
        return "done", reasons
    if reasons := _red(status, self_status, behind, due == OVERDUE, duty == OVERDUE):
        return "red", reasons
    if reasons := _yellow(status, self_status, due == DUE_SOON, duty == DUE_SOON):
        return "yellow", reasons
    return "green", ()


def _done(closed: bool, status: str | None, self_status: str | None) -> tuple[str, ...]:
    completed = status == "accepted" and self_status == "completed"
    return ("item_closed",) * closed + ("accepted_as_completed",) * completed


def _red(
    status: str | None, self_status: str | None, behind: tuple[str, ...], overdue: bool, duty_overdue: bool
) -> tuple[str, ...]:
    reasons = ("lead_report_delayed",) * (self_status == "delayed") + ("overdue_without_report",) * (
        status is None and overdue
    )
    return reasons + tuple(f"indicator_behind:{key}" for key in behind) + ("instruction_overdue",) * duty_overdue


def _yellow(status: str | None, self_status: str | None, due_soon: bool, duty_due_soon: bool) -> tuple[str, ...]:
    reasons = ("lead_report_at_risk",) * (self_status == "at_risk") + ("due_soon_without_report",) * (
        status is None and due_soon
    )
    return reasons + ("instruction_due_soon",) * duty_due_soon


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
    owes no report for the period; `answer_by` the earliest answer date of its open instructions (None: no duty)."""
    due, duty = window(due_on, today, due_soon_days), window(answer_by, today, due_soon_days)
    light, reasons = judged(item.status == "closed", *_state(report), tuple(behind), due, duty)
    return light, list(reasons)


def _state(report: LeadState | None) -> tuple[str | None, str | None]:
    """The lead report's status and self-assessment, both None unless it reached the office."""
    if report is None or not report["reached"]:
        return None, None
    return report["status"], report["self_status"]


# The lead reports a light is given: a roll-up's read only their states (LeadState), the lights view whole rows
# (PeriodReport: the report's id is shown).
R = TypeVar("R", bound=LeadState)


@dataclass(frozen=True, slots=True)
class LightContext(Generic[R]):
    """What the lights of a period read besides the items: `reports` maps a pair's key (obligations.pair_key) to a
    report of the period ({id, status, self_status}); `behind` maps item ids to the keys of their indicators that are
    behind (indicators.behind_keys); `owing` holds the items that owe the period's report (None: all); `duties` each
    item's earliest answer date of an open leader instruction (earliest_answer_dates)."""

    reports: Mapping[int, R]
    behind: Mapping[int, Sequence[str]]
    due_on: date
    today: date
    due_soon_days: int
    owing: Collection[int] | None = None
    duties: Mapping[int, date] = field(default_factory=dict)


def by_pair_key(reports: Mapping[tuple[int, int], R]) -> dict[int, R]:
    """Reports by (item_id, unit_id) (repository.by_pair) by their pair's key, as the lights read them."""
    return dict(zip(pair_keys(*zip(*reports, strict=True)), reports.values(), strict=True)) if reports else {}


# An item given a light: its id, its lead's pair key (obligations.pair_key), whether it is closed, the item and its
# lead. A roll-up reads the first three of a plan's thousand: the item's record is not touched.
Lighted = tuple[int, int, bool, PlanItem, PlanAssignment]
Lit = tuple[Lighted, R | None, str, tuple[str, ...]]  # an item given a light, its lead report, light and reasons


def lighted_items(items: Iterable[PlanItem], leads: Mapping[int, PlanAssignment]) -> list[Lighted]:
    """The items given a light, in the order given: those that have a lead unit (`leads`: lead_assignments) and are
    not cancelled. A plan's shape keeps them."""
    return [
        (item.id, pair_key(item.id, lead.unit_id), item.status == "closed", item, lead)
        for item in items
        if (lead := leads.get(item.id)) is not None and item.status != "cancelled"
    ]


def lit_items(lighted: Iterable[Lighted], context: LightContext[R]) -> Iterator[Lit[R]]:
    """Each item given a light (lighted_items), with the lead's report and its light (light_of's, judged per case).
    A roll-up lights a plan's thousand items: _state and window are written out here, and what most items share (no
    indicator behind, no instruction, the period's due window) is not worked out item by item."""
    reports, behind, owing, duties = context.reports, context.behind, context.owing, context.duties
    today, due_soon_days = context.today, context.due_soon_days
    owed = window(context.due_on, today, due_soon_days)  # the window of every item that owes the report
    for lit in lighted:
        item_id, pair, closed = lit[0], lit[1], lit[2]
        report = reports.get(pair)
        reached = report is not None and report["reached"]
        keys = behind.get(item_id)
        light, reasons = judged(
            closed,
            report["status"] if reached else None,  # type: ignore[index]  # reached: a report
            report["self_status"] if reached else None,  # type: ignore[index]
            () if keys is None else tuple(keys),
            owed if owing is None or item_id in owing else LATER,
            window(duties.get(item_id), today, due_soon_days) if duties else LATER,
        )
        yield lit, report, light, reasons


def traffic_lights(
    lighted: Iterable[Lighted], context: LightContext[PeriodReport], progress_status: Mapping[int, str]
) -> list[LightEntry]:
    """The light of every item given one (lighted_items), in their order (item id order); `progress_status` is the
    output of progress.progress_of_items."""
    return [
        _light_entry(lit[3], lit[4], report, progress_status.get(lit[0], "not_started"), light, reasons)
        for lit, report, light, reasons in lit_items(lighted, context)
    ]


def lights_by_item(
    lighted: Iterable[Lighted], context: LightContext[R], progress_status: Mapping[int, str]
) -> dict[int, tuple[str, str]]:
    """Item id → (light, progress status), of the items traffic_lights lists: all a roll-up counts of them."""
    return {
        lit[0]: (light, progress_status.get(lit[0], "not_started")) for lit, _, light, _ in lit_items(lighted, context)
    }


def _light_entry(
    item: PlanItem,
    lead: PlanAssignment,
    report: PeriodReport | None,
    progress_status: str,
    light: str,
    reasons: tuple[str, ...],
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
        "reasons": list(reasons),
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
