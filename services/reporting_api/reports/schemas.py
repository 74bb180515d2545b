"""Request and response shapes of progress reports."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from services.common.identifiers import PERIOD_PATTERN
from services.common.tables import SQLModelConfig
from services.reporting_api.periods.calendar import ReportType
from services.reporting_api.reports.models import (
    TEXT_LIMIT,
    Attachment,
    ContentFields,
    Measurement,
    ReportStatus,
    SelfStatus,
)


class ReportCreate(ContentFields):
    """A new report (draft) of a unit on an item for a period."""

    model_config = SQLModelConfig(extra="forbid")
    item_id: int
    period: str = Field(
        pattern=PERIOD_PATTERN,
        description="The period the report is owed for: 2024-Q1 (季度梳理), "
        "2024-H1 (半年小结), 2024 (年度汇总) or, for a monthly item, 2024-M01.",
    )
    unit_id: int | None = Field(None, description="The reporting unit; a unit token reports for its own unit.")


class ReportUpdate(BaseModel):
    """New content for a draft or returned report; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    progress: str | None = Field(None, max_length=TEXT_LIMIT)
    achievements: str | None = Field(None, max_length=TEXT_LIMIT)
    problems: str | None = Field(None, max_length=TEXT_LIMIT)
    next_steps: str | None = Field(None, max_length=TEXT_LIMIT)
    percent_complete: int | None = Field(None, ge=0, le=100)
    self_status: SelfStatus | None = None
    measurements: list[Measurement] | None = Field(None, max_length=200)
    attachments: list[Attachment] | None = Field(None, max_length=50)


class ReportPublic(BaseModel):
    """A progress report (进展报告) of one unit on one item for one period."""

    id: int
    plan_id: int
    item_id: int
    unit_id: int
    period: str
    role: str = Field(
        description="lead (牵头): the report of record; co (配合): a contribution; delegate (转办): a delegate's "
        "report, reviewed by the unit that delegated the item and never counted as that unit's."
    )
    report_type: ReportType = Field(
        description="What the period asks for (its required content): monthly or "
        "quarterly progress (季度梳理), half_year (半年小结) or annual (年度汇总)."
    )
    status: ReportStatus
    progress: str
    achievements: str
    problems: str
    next_steps: str
    percent_complete: int
    self_status: SelfStatus
    measurements: list[Measurement]
    attachments: list[Attachment]
    submissions: int = Field(description="How many times it was submitted (报送次数).")
    first_submitted_at: datetime | None
    submitted_at: datetime | None
    due_on: date | None
    late: bool = Field(description="The first submission came after the period's due date (逾期报送).")
    days_late: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class Decision(StrEnum):
    """The office's review decision (审核意见): accept (通过) or return for rework (退回)."""

    ACCEPT = "accept"  # 审核通过
    RETURN = "return"  # 退回


class ReviewCreate(BaseModel):
    """The office's review of a submitted report (审核)."""

    model_config = ConfigDict(extra="forbid")
    decision: Decision = Field(description="Accept the report or return it for rework.")
    comment: str | None = Field(None, max_length=TEXT_LIMIT, description="审核意见; required when returning.")
    score: float | None = Field(None, ge=0, le=100, description="Optional quality score (评分).")


class SubmitRequest(BaseModel):
    """Submit a draft report to the office (报送)."""

    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(None, max_length=2000)


class WithdrawRequest(BaseModel):
    """Take a submitted report back before the office reviews it (撤回)."""

    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(None, max_length=2000, description="Why the unit takes it back.")


class ReopenRequest(BaseModel):
    """The office reopens a reviewed report for a correction (重新打开)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(
        min_length=1,
        max_length=TEXT_LIMIT,
        pattern=r"\S",
        description="What is to be corrected; the unit reads it in the report's history.",
    )


class VersionPublic(BaseModel):
    """A submitted version, immutable, with its review."""

    id: int
    report_id: int
    number: int
    content: dict[str, Any] = Field(description="The report's content as it was submitted in this version.")
    submitted_by: str
    submitted_at: datetime
    due_on: date
    late: bool
    days_late: int
    outcome: str | None = Field(
        description="accepted or returned by the review, withdrawn when its unit took it "
        "back before the review; null while pending."
    )
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_comment: str | None = Field(description="The office's comment on this version (审核意见).")
    score: float | None = Field(description="The office's score of this version (评分); null when not scored.")


class TransitionPublic(BaseModel):
    """One step of a report's workflow (流转记录): who moved it from which status to which."""

    id: int
    report_id: int
    from_status: str | None = Field(description="Status before the step; null when the report was created.")
    to_status: str = Field(description="Status after the step.")
    actor: str
    at: datetime
    comment: str | None


# -- typed rows (TypedDict: plain dicts at run time, encoded by orjson as they are) ----------------------------


class MeasurementValue(TypedDict):
    """An indicator value as a report's content holds it (JSON: `as_of` is ISO text)."""

    indicator_id: int
    value: float
    as_of: str
    note: str | None


class AttachmentLink(TypedDict):
    title: str
    url: str


class ReportContent(TypedDict):
    """What a report says (CONTENT), as a submitted version freezes it."""

    progress: str
    achievements: str
    problems: str
    next_steps: str
    percent_complete: int
    self_status: str
    measurements: list[MeasurementValue]
    attachments: list[AttachmentLink]


class ContentChanges(TypedDict, total=False):
    """New content for a report (ReportUpdate): the fields given (a null is refused)."""

    progress: str | None
    achievements: str | None
    problems: str | None
    next_steps: str | None
    percent_complete: int | None
    self_status: str | None
    measurements: list[MeasurementValue] | None
    attachments: list[AttachmentLink] | None


class ContentError(TypedDict):
    """A required field a report lacks, as a problem document's field error (FieldError)."""

    location: list[str | int]
    type: str
    message: str


class EventDetails(TypedDict, total=False):
    """What one workflow step adds to a report.* event: who did it, and with what comment or lateness."""

    submitted_by: str
    submitted_at: datetime
    late: bool
    days_late: int
    reviewed_by: str
    comment: str | None
    score: float | None
    withdrawn_by: str
    reopened_by: str
    reason: str


class ReportEvent(EventDetails):
    """The data of a report.* event in the outbox: which report, and what just happened to it."""

    report_id: int
    plan_id: int
    item_id: int
    item_number: str | None
    item_title: str | None
    unit_id: int
    unit_name: str | None
    role: str
    period: str
    report_type: str
    status: str
    submission: int
    due_on: date | None
