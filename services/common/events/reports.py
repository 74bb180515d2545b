"""The payloads of the report.* events reporting_api publishes (报送、审核、撤回、重新打开)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class ReportEventData(BaseModel):
    """What every report.* event says of its report: which one, on which item, by which unit, for which period."""

    report_id: int
    plan_id: int
    item_id: int
    item_number: str | None = Field(
        description="The item's number (编号) when the report was created; null for reports created before it was "
        "recorded."
    )
    item_title: str | None = Field(
        description="The item's title (任务名称) when the report was created; null likewise."
    )
    unit_id: int
    unit_name: str | None = Field(description="The reporting unit's name (报送单位) when the report was created.")
    role: str = Field(description="The unit's role on the item: lead (牵头), co (配合) or delegate (转办).")
    period: str = Field(description="The reporting period (报送周期), e.g. 2026-Q1.")
    report_type: str | None = Field(
        description="monthly, quarterly (季度梳理), half_year (半年小结) or annual (年度汇总)."
    )
    status: str | None = Field(
        description="The report's status after this step: draft, submitted, accepted or returned."
    )
    submission: int = Field(description="How many times the report was submitted so far (报送次数).")
    due_on: date | None = Field(description="The period's due date (截止日期) as of the last submission.")


class ReportSubmittedData(ReportEventData):
    """report.submitted: a unit (or the office on its behalf) submitted a report (报送)."""

    submitted_by: str
    submitted_at: datetime
    late: bool = Field(description="The first submission came after the due date (逾期报送).")
    days_late: int = Field(description="Working days late (逾期工作日数), 0 when on time.")


class ReportReviewedData(ReportEventData):
    """What report.accepted and report.returned say of the review (审核)."""

    reviewed_by: str
    comment: str | None = Field(description="The reviewer's comment; a returned report's says what to change.")
    score: float | None = Field(description="The review's score, if the office gave one.")


class ReportAcceptedData(ReportReviewedData):
    """report.accepted: the office accepted the submitted version (审核通过)."""


class ReportReturnedData(ReportReviewedData):
    """report.returned: the office returned the submitted version for changes (退回)."""


class ReportWithdrawnData(ReportEventData):
    """report.withdrawn: the unit took its submission back before the review (撤回); the report is a draft again."""

    withdrawn_by: str = Field(description="Who withdrew it.")
    comment: str | None = Field(description="Why it was withdrawn, if the unit said.")


class ReportReopenedData(ReportEventData):
    """report.reopened: the office reopened a reviewed report for a correction (重新打开); a draft again."""

    reopened_by: str = Field(description="Who reopened it (the office).")
    reason: str = Field(description="Why the office reopened it.")
