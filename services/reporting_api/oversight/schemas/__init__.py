"""Response shapes of compliance, roll-ups, traffic lights and indicator progress."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from services.common.column_blocks import block_model
from services.reporting_api.instructions.schemas import InstructionDuty, InstructionDutySummary
from services.reporting_api.periods.calendar import ReportType


class ComplianceState(StrEnum):
    # The docstring is the description the contract publishes (openapi/): rewrapping it would change that text.
    """State of an expected report: missing (未报), draft (草稿), submitted (已报), accepted (通过) or returned (退回)."""  # noqa: E501

    MISSING = "missing"  # 未报送
    DRAFT = "draft"  # 草稿
    SUBMITTED = "submitted"  # 已报送, awaiting review
    ACCEPTED = "accepted"  # 已审核通过
    RETURNED = "returned"  # 已退回


class Light(StrEnum):
    """Traffic light (红黄绿灯): green on track, yellow at risk, red overdue, done closed."""

    GREEN = "green"  # 绿灯: on track
    YELLOW = "yellow"  # 黄灯: at risk, or due soon without a report
    RED = "red"  # 红灯: delayed, overdue without a report, or an indicator behind
    DONE = "done"  # 已完成


class ProgressStatus(StrEnum):
    """An item's progress (进展状态), derived: not started (未启动), in progress (推进中: a report accepted), completed
    (已完成: the lead's accepted report declares completion) or closed (已办结: close-out approved in tasks_api)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CLOSED = "closed"


class RollupBy(StrEnum):
    """What a roll-up groups by: unit, section, county, group, item kind, or the higher-level task served."""

    UNIT = "unit"
    SECTION = "section"
    COUNTY = "county"
    GROUP = "group"
    KIND = "kind"
    SERVES = "serves"


class PeriodHeader(BaseModel):
    plan_id: int
    period: str
    owed_period: str = Field(
        description="The period whose report answers for `period`: the largest one ending the "
        "same day (2024-Q2 → 2024-H1).",
        examples=["2024-H1"],
    )
    report_type: ReportType = Field(description="The type of the report owed for owed_period.")
    due_on: date = Field(description="The due date (报送截止日) of owed_period's report.")
    as_of: date = Field(description="The day the view is computed from.")


class ComplianceRow(BaseModel):
    """One expected (item, unit) pair and where its report stands."""

    responsibility_id: int
    item_id: int
    item_key: str | None
    item_number: str | None
    item_title: str | None
    unit_id: int
    unit_name: str
    role: str = Field(description="lead (牵头) or co (配合).")
    period: str = Field(
        description="The period of the report that answers (owed_period, or for a row not owed the "
        "period the report was filed for).",
        examples=["2024-H1"],
    )
    report_type: ReportType = Field(description="The type of that report.")
    due_on: date = Field(description="Its due date.")
    owed: bool = Field(
        description="False for a report filed for a period the item no longer owes (its cadence "
        "changed): listed as filed, not expected."
    )
    state: ComplianceState = Field(description="Where the pair's report stands.")
    report_id: int | None
    late: bool = Field(description="Submitted after the due date, or not submitted and past it.")
    days_late: int
    overdue: bool = Field(description="Not submitted (missing or draft) and the due date has passed.")


class ComplianceSummary(BaseModel):
    """Counts of a period's expected reports by state."""

    expected: int = Field(description="The owed rows.")
    missing: int
    draft: int
    submitted: int
    accepted: int
    returned: int
    late: int
    overdue: int


class CompliancePage(PeriodHeader):
    """Who has reported for a period (报送情况): one row per expected (item, unit) pair. Only `data` is paged; the
    period header, `summary`, `instructions` and `instruction_summary` describe the whole answer and are the same on
    every page, so a client reads them from whichever page it holds (the first, usually)."""

    summary: ComplianceSummary = Field(
        description="Counts over every row in scope, before the state filter; the same on every page."
    )
    data: list[ComplianceRow]
    next_cursor: str | None
    instructions: list[InstructionDuty] = Field(
        description="The period's leader instructions (领导批示) owed by their lead units: those to answer within "
        "the period, and those still open from before it; the same on every page, not filtered by state."
    )
    instruction_summary: InstructionDutySummary = Field(
        description="The instructions' duties, counted; the same on every page."
    )


class ObligationPage(BaseModel):
    """The reports owed in a window of due dates (报送义务), one page: what notify_api reminds of."""

    plan_id: int
    from_: date = Field(alias="from", description="First due date of the window.")
    to: date = Field(description="Last due date of the window.")
    as_of: date = Field(description="The day the states are computed from.")
    data: list[ComplianceRow]
    next_cursor: str | None
    instructions: list[InstructionDuty] = Field(
        description="The leader instructions (领导批示) to answer in the window (only the open ones, given "
        "`pending`), in (answer_by, instruction_id) order; the same on every page."
    )


class ObligationColumns(BaseModel):
    """The reports owed in a window of due dates (报送义务), all of them, as blocks of columns: what notify_api's
    dispatch reads of every plan."""

    plan_id: int
    from_: date = Field(alias="from", description="First due date of the window.")
    to: date = Field(description="Last due date of the window.")
    as_of: date = Field(description="The day the states are computed from.")
    obligations: list[block_model(ComplianceRow)] = Field(  # type: ignore[valid-type]
        description="Every row of the list, in its order ((due_on, period, responsibility_id)), in blocks."
    )


class LightCounts(BaseModel):
    """How many items show each light."""

    green: int = Field(description="Items on track (绿灯).")
    yellow: int = Field(description="Items at risk or with a report due soon and missing (黄灯).")
    red: int = Field(description="Items overdue or delayed (红灯).")
    done: int = Field(description="Items closed (办结).")


class ProgressCounts(BaseModel):
    """How many items stand at each progress status."""

    not_started: int = Field(description="Items without an accepted report (未启动).")
    in_progress: int = Field(description="Items with an accepted report (推进中).")
    completed: int = Field(description="Items whose lead unit's accepted report declares completion (已完成).")
    closed: int = Field(description="Items whose close-out the office approved (已办结).")


class GroupRef(BaseModel):
    """The group a roll-up row is about."""

    id: int | None = Field(description="Unit, section item or thematic group id; null for an item kind.")
    key: str | None
    name: str


class RollupRow(BaseModel):
    """One row of a roll-up: the counts of one unit, section, county, group or kind."""

    group: GroupRef = Field(description="What this row counts: a unit, section, county, group or kind.")
    expected: int
    submitted: int = Field(description="submitted + accepted + returned.")
    awaiting_review: int = Field(description="Reports submitted and not yet reviewed (待审核数).")
    accepted: int
    returned: int
    draft: int
    missing: int
    on_time: int = Field(description="Reports submitted by their due day (按时报送数).")
    late: int
    overdue: int
    items: int = Field(description="How many items the row covers (任务数).")
    lights: LightCounts = Field(description="The items' traffic lights, counted.")
    progress: ProgressCounts = Field(description="The same items counted by progress status (进展状态).")


class RollupReport(PeriodHeader):
    """A period's roll-up (汇总): reporting and lights counted by unit, section, county, group or kind."""

    by: RollupBy = Field(description="What the rows are grouped by.")
    data: list[RollupRow] = Field(
        description="One page of the groups: those with ids in id order, then the item kinds in the order the plan "
        "first uses them."
    )
    next_cursor: str | None


class TrafficLight(BaseModel):
    """An item's traffic light for a period (红黄绿灯), with why."""

    item_id: int
    item_key: str
    item_number: str
    item_title: str
    kind: str
    item_status: str = Field(description="The item's status in tasks_api: open, closed (办结) or cancelled.")
    progress_status: ProgressStatus = Field(
        description="The item's progress, derived from accepted reports and the close-out (进展状态)."
    )
    lead_unit_id: int
    lead_unit_name: str = Field(description="The lead unit's name (牵头单位).")
    report_id: int | None = Field(description="The lead unit's report for the period, if any.")
    report_status: str | None = Field(
        description="The lead unit's report status for the period; null when none is filed."
    )
    self_status: str | None
    light: Light = Field(description="The item's light for the period.")
    reasons: list[str] = Field(
        description="Short codes of the rule that decided the light, e.g. "
        "overdue_without_report or indicator_behind:T9-expressway-km."
    )


class TrafficLightPage(PeriodHeader):
    """Items' traffic lights for a period, one page."""

    summary: LightCounts = Field(description="Counts over every item in scope, before the light filter.")
    data: list[TrafficLight]
    next_cursor: str | None


class IndicatorProgress(BaseModel):
    """An indicator's progress towards its target (指标进度)."""

    indicator_id: int
    item_id: int
    key: str
    name: str
    measure: str
    comparison: str
    baseline: float | None
    target: float = Field(description="The value to reach by the target date (目标值).")
    target_date: date
    points: int = Field(description="How many measurements the figures are drawn from.")
    latest_value: float | None = Field(description="The latest reported value (最新值); null when none is reported.")
    latest_as_of: date | None = Field(description="The day the latest value is for; null when none is reported.")
    attainment: float | None = Field(
        description="Share of the way from baseline to target reached, 0–1 or more (完成度)."
    )
    expected_share: float | None = Field(description="The straight-line path's share at latest_as_of.")
    behind: bool = Field(
        description="Whether the straight-line share expected by now exceeds attainment by more "
        "than the plan's indicator_margin (进度滞后)."
    )
    projected_value: float | None = Field(description="The least-squares trend at target_date.")
    projection_misses_target: bool | None = Field(
        description="Whether the trend misses the target; null without enough values."
    )


class IndicatorProgressPage(BaseModel):
    """Indicators' progress as of a day, one page."""

    plan_id: int
    as_of: date
    data: list[IndicatorProgress]
    next_cursor: str | None
