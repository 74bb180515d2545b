"""Response shapes of compliance, roll-ups, traffic lights and indicator progress."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field


class ComplianceState(StrEnum):
    MISSING = "missing"      # 未报送
    DRAFT = "draft"          # 草稿
    SUBMITTED = "submitted"  # 已报送, awaiting review
    ACCEPTED = "accepted"    # 已审核通过
    RETURNED = "returned"    # 已退回


class Light(StrEnum):
    GREEN = "green"    # 绿灯: on track
    YELLOW = "yellow"  # 黄灯: at risk, or due soon without a report
    RED = "red"        # 红灯: delayed, overdue without a report, or an indicator behind
    DONE = "done"      # 已完成


class RollupBy(StrEnum):
    UNIT = "unit"
    SECTION = "section"
    COUNTY = "county"
    GROUP = "group"
    KIND = "kind"


class PeriodHeader(BaseModel):
    plan_id: int
    period: str
    due_on: date = Field(description="The period's due date (报送截止日).")
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
    state: ComplianceState
    report_id: int | None
    late: bool = Field(description="Submitted after the due date, or not submitted and past it.")
    days_late: int
    overdue: bool = Field(description="Not submitted (missing or draft) and the due date has passed.")


class ComplianceSummary(BaseModel):
    expected: int
    missing: int
    draft: int
    submitted: int
    accepted: int
    returned: int
    late: int
    overdue: int


class CompliancePage(PeriodHeader):
    summary: ComplianceSummary = Field(description="Counts over every row in scope, before the state filter.")
    data: list[ComplianceRow]
    next_cursor: str | None


class LightCounts(BaseModel):
    green: int
    yellow: int
    red: int
    done: int


class GroupRef(BaseModel):
    id: int | None = Field(description="Unit, section item or thematic group id; null for an item kind.")
    key: str | None
    name: str


class RollupRow(BaseModel):
    group: GroupRef
    expected: int
    submitted: int = Field(description="submitted + accepted + returned.")
    awaiting_review: int
    accepted: int
    returned: int
    draft: int
    missing: int
    on_time: int
    late: int
    overdue: int
    items: int
    lights: LightCounts


class RollupReport(PeriodHeader):
    by: RollupBy
    data: list[RollupRow]


class TrafficLight(BaseModel):
    item_id: int
    item_key: str
    item_number: str
    item_title: str
    kind: str
    item_status: str
    lead_unit_id: int
    lead_unit_name: str
    report_id: int | None = Field(description="The lead unit's report for the period, if any.")
    report_status: str | None
    self_status: str | None
    light: Light
    reasons: list[str] = Field(description="Short codes of the rule that decided the light, e.g. "
                               "overdue_without_report or indicator_behind:T9-expressway-km.")


class TrafficLightPage(PeriodHeader):
    summary: LightCounts = Field(description="Counts over every item in scope, before the light filter.")
    data: list[TrafficLight]
    next_cursor: str | None


class IndicatorProgress(BaseModel):
    indicator_id: int
    item_id: int
    key: str
    name: str
    measure: str
    comparison: str
    baseline: float | None
    target: float
    target_date: date
    points: int = Field(description="How many measurements the figures are drawn from.")
    latest_value: float | None
    latest_as_of: date | None
    attainment: float | None
    expected_share: float | None = Field(description="The straight-line path's share at latest_as_of.")
    behind: bool
    projected_value: float | None = Field(description="The least-squares trend at target_date.")
    projection_misses_target: bool | None


class IndicatorProgressPage(BaseModel):
    plan_id: int
    as_of: date
    data: list[IndicatorProgress]
    next_cursor: str | None
