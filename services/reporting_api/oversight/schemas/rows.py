"""The rows the oversight rules read (repository.py) and the views they build, as plain typed dicts (TypedDict).

The rules build the views, the routes encode them with orjson
as they are (a page of compliance or a roll-up is thousands of rows: no model per row), and the pydantic models
of this package (CompliancePage, RollupReport...) document the same shapes in the contract. Dates are ISO text,
as a closed period's snapshot keeps them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TypedDict

import orjson

from services.common.contracts.tasks import Group, ItemLeader, Member, Unit
from services.reporting_api.instructions.owed import InstructionDutyEntry

# -- rows read from the reports (repository.py) ----------------------------------------------------------


class LeadState(TypedDict):
    """What a light reads of a lead report (lights.py): a roll-up reads no more of the period's lead reports
    (repository.lead_states_statement); a PeriodReport has these keys too."""

    status: str
    self_status: str | None
    reached: bool  # it reached the office (repository.REACHED): a report reopened since is a draft that still counts


class PeriodReport(TypedDict):
    """A report answering for the period: the columns of period_reports_statement."""

    id: int
    item_id: int
    unit_id: int
    period: str
    status: str
    late: bool
    days_late: int
    self_status: str | None
    reached: bool


class Filed(TypedDict):
    """What lateness reads of a filed report (a PeriodReport, or the ledger's): its status, whether it reached the
    office (repository.REACHED: submitted once, whatever its status now) and its own lateness."""

    status: str
    reached: bool
    late: bool
    days_late: int


class AnsweringReport(Filed):
    """What a compliance row shows of the report answering its pair's period (oversight/filed.py keeps no more of
    it; a PeriodReport has these keys too)."""

    id: int
    period: str


class FiledCount(TypedDict):
    """The period's reports of one unit or item (`key`) counted as a roll-up row counts them (filed_counts_statement):
    reached the office (submitted: submitted once, repository.REACHED), awaiting review, accepted, returned, draft, on
    time and late (of the submitted, by the first submission), and the drafts among the submitted (reopened: a roll-up
    row does not show them, its `missing` leaves them out)."""

    key: int
    submitted: int
    awaiting_review: int
    accepted: int
    returned: int
    draft: int
    on_time: int
    late: int
    reopened: int


class MeasurementPoint(TypedDict):
    """An indicator's value as of a day (measurement_points_statement)."""

    id: int
    indicator_id: int
    as_of: date
    value: float


ReportsByPair = dict[tuple[int, int], PeriodReport]
PointsByIndicator = dict[int, list[MeasurementPoint]]


# -- the views ------------------------------------------------------------------------------------------


class ViewHeader(TypedDict):
    """PeriodHeader: the period asked about, the one whose report answers for it, its due date, the day."""

    plan_id: int
    period: str
    owed_period: str
    report_type: str
    due_on: str
    as_of: str


class ComplianceEntry(TypedDict):
    """ComplianceRow: one expected (item, unit) pair and where its report stands (the obligations notify_api reads
    are these rows, as columns: contracts/plan_obligations.Owed is what it reads of them)."""

    responsibility_id: int
    item_id: int
    item_key: str | None
    item_number: str | None
    item_title: str | None
    unit_id: int
    unit_name: str
    role: str
    state: str
    period: str
    report_type: str
    due_on: str
    owed: bool
    report_id: int | None
    late: bool
    days_late: int
    overdue: bool


class ComplianceTotals(TypedDict):
    """ComplianceSummary."""

    expected: int
    missing: int
    draft: int
    submitted: int
    accepted: int
    returned: int
    late: int
    overdue: int


class LightTotals(TypedDict):
    """LightCounts."""

    green: int
    yellow: int
    red: int
    done: int


class ProgressTotals(TypedDict):
    """ProgressCounts."""

    not_started: int
    in_progress: int
    completed: int
    closed: int


class LightEntry(TypedDict):
    """TrafficLight: an item's light for the period, with why."""

    item_id: int
    item_key: str
    item_number: str
    item_title: str
    kind: str
    item_status: str
    progress_status: str
    lead_unit_id: int
    lead_unit_name: str
    report_id: int | None
    report_status: str | None
    self_status: str | None
    light: str
    reasons: list[str]


class IndicatorEntry(TypedDict):
    """IndicatorProgress: an indicator's progress towards its target."""

    indicator_id: int
    item_id: int
    key: str
    name: str
    measure: str
    comparison: str
    baseline: float | None
    target: float
    target_date: str
    points: int
    latest_value: float | None
    latest_as_of: str | None
    attainment: float | None
    expected_share: float | None
    behind: bool
    projected_value: float | None
    projection_misses_target: bool | None


class GroupEntry(TypedDict):
    """GroupRef: the unit, section, county, group or kind a roll-up row counts."""

    id: int | None
    key: str | None
    name: str


class RollupEntry(TypedDict):
    """RollupRow: the counts of one group."""

    group: GroupEntry
    expected: int
    submitted: int
    awaiting_review: int
    accepted: int
    returned: int
    draft: int
    missing: int
    on_time: int
    late: int
    overdue: int
    items: int
    lights: LightTotals
    progress: ProgressTotals


class Grouping(TypedDict, total=False):
    """What a roll-up reads from tasks_api beyond the plan: units (by county), lead leaders and thematic groups
    with their members (by group)."""

    units: list[Unit]
    item_leaders: list[ItemLeader]
    thematic: list[tuple[Group, list[Member]]]


ObligationView = TypedDict(
    "ObligationView",
    {
        "plan_id": int,
        "from": date,
        "to": date,
        "as_of": date,
        "rows": list[ComplianceEntry],
        "instructions": list[InstructionDutyEntry],
    },
)
"""ObligationPage before paging: the reports owed in a window of due dates ("from" is a keyword)."""


class RollupView(ViewHeader):
    """RollupReport, each of its rows encoded once, when a page first shows it (the answer is shared between
    requests: oversight/memo.py, oversight/tally.EncodedRows), so that a page is a slice of them."""

    by: str
    data: Sequence[orjson.Fragment]


class LightsView(ViewHeader):
    """TrafficLightPage before paging."""

    summary: LightTotals
    rows: list[LightEntry]


class IndicatorView(TypedDict):
    """IndicatorProgressPage before paging."""

    plan_id: int
    as_of: str
    rows: list[IndicatorEntry]


class ComplianceFigures(TypedDict):
    summary: ComplianceTotals
    data: list[ComplianceEntry]


class LightFigures(TypedDict):
    summary: LightTotals
    data: list[LightEntry]


class OversightRules(TypedDict):
    due_soon_days: int
    indicator_margin: float


class PeriodOversight(ViewHeader):
    """All four views of a period at once (oversight_of), JSON-serialisable: a closed period's snapshot."""

    rules: OversightRules
    compliance: ComplianceFigures
    rollups: dict[str, list[RollupEntry]]
    traffic_lights: LightFigures
    indicators: list[IndicatorEntry]
