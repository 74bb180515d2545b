"""Progress reports, their submitted versions, indicator measurements and workflow transitions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, HttpUrl
from sqlalchemy import JSON, DateTime, Index, String, Text, UniqueConstraint
from sqlmodel import Field

from services.common.search_index import Indexed, search_table
from services.reporting_api.db import ReportingModel, metadata

TEXT_LIMIT = 20_000  # characters per text field: a long 进展情况 fits, a runaway payload does not


class ReportStatus(StrEnum):
    """Where a report stands: draft (草稿), submitted (已报送), accepted (通过) or returned (退回)."""

    DRAFT = "draft"  # 草稿
    SUBMITTED = "submitted"  # 已报送
    ACCEPTED = "accepted"  # 已审核通过
    RETURNED = "returned"  # 已退回


class SelfStatus(StrEnum):
    """The unit's own view of its progress (自评): on track, at risk, delayed or completed."""

    ON_TRACK = "on_track"  # 正常推进
    AT_RISK = "at_risk"  # 存在风险
    DELAYED = "delayed"  # 滞后
    COMPLETED = "completed"  # 已完成


class Measurement(BaseModel):
    """An indicator value the unit reports (指标完成值)."""

    model_config = ConfigDict(extra="forbid")
    indicator_id: int
    value: float = Field(description="The measured value, in the indicator's unit (指标值).")
    as_of: date = Field(description="The date the value describes.")
    note: str | None = Field(None, max_length=2000, description="Where the value comes from or what it means (说明).")


class Attachment(BaseModel):
    """A link to supporting material (附件)."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=300)
    url: HttpUrl


class ContentFields(ReportingModel):
    progress: str = Field("", max_length=TEXT_LIMIT, sa_type=Text, description="进展情况")
    achievements: str = Field(
        "",
        max_length=TEXT_LIMIT,
        sa_type=Text,
        description="主要成效: what the half-year or the year achieved (summaries).",
    )
    problems: str = Field("", max_length=TEXT_LIMIT, sa_type=Text, description="存在问题")
    next_steps: str = Field("", max_length=TEXT_LIMIT, sa_type=Text, description="下步计划")
    percent_complete: int = Field(0, ge=0, le=100, description="完成进度 (%)")
    self_status: SelfStatus = Field(SelfStatus.ON_TRACK, sa_type=String(20), description="自评状态")
    measurements: list[Measurement] = Field(default_factory=list, max_length=200, sa_type=JSON)
    attachments: list[Attachment] = Field(default_factory=list, max_length=50, sa_type=JSON)


class Report(ContentFields, table=True):
    """One unit's report on one item for one period; its current draft and where it stands."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("item_id", "unit_id", "period"),
        Index("ix_reports_plan_period", "plan_id", "period", "id"),
        Index("ix_reports_unit", "unit_id", "id"),
        # Covers the progress aggregate (oversight/progress.py): the plan's accepted reports per item.
        Index("ix_reports_progress", "plan_id", "status", "item_id", "role", "self_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int
    item_id: int = Field(index=True)
    unit_id: int
    period: str = Field(max_length=10, sa_type=String(10))
    role: str = Field(max_length=10, sa_type=String(10), description="The unit's role on the item: lead or co.")
    report_type: str = Field(
        max_length=20,
        sa_type=String(20),
        description="What the period asks for: monthly, "
        "quarterly (季度梳理), half_year (半年小结) or annual (年度汇总).",
    )
    status: ReportStatus = Field(ReportStatus.DRAFT, sa_type=String(20))
    # The table keeps the JSON as stored: a SQLModel table model neither validates nor encodes nested models.
    measurements: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # type: ignore[assignment]
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # type: ignore[assignment]
    submissions: int = Field(0, description="How many versions were submitted.")
    first_submitted_at: datetime | None = Field(None, sa_type=DateTime(timezone=True))
    submitted_at: datetime | None = Field(None, sa_type=DateTime(timezone=True))
    due_on: date | None = Field(None, description="The period's due date when last submitted.")
    late: bool = Field(False, description="The first submission came after the due date.")
    days_late: int = 0
    # As tasks_api named them when the report was created, for the report.* events (null: created before).
    item_number: str | None = Field(None, max_length=40, sa_type=String(40))
    item_title: str | None = Field(None, max_length=500, sa_type=String(500))
    unit_name: str | None = Field(None, max_length=100, sa_type=String(100))
    created_by: str = Field(max_length=255)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))
    version: int = 1


class ReportVersion(ReportingModel, table=True):
    """A submitted version: immutable content, and the review it received."""

    __tablename__ = "report_versions"
    __table_args__ = (UniqueConstraint("report_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="reports.id", ondelete="CASCADE")
    number: int
    content: dict[str, Any] = Field(sa_type=JSON)
    submitted_by: str = Field(max_length=255)
    submitted_at: datetime = Field(sa_type=DateTime(timezone=True))
    due_on: date
    late: bool
    days_late: int
    outcome: str | None = Field(None, max_length=20, sa_type=String(20), description="accepted or returned")
    reviewed_by: str | None = Field(None, max_length=255)
    reviewed_at: datetime | None = Field(None, sa_type=DateTime(timezone=True))
    review_comment: str | None = Field(None, max_length=TEXT_LIMIT, sa_type=Text)
    score: float | None = None


class MeasurementRecord(ReportingModel, table=True):
    """A submitted indicator value, kept per version so the trend can be read without parsing versions."""

    __tablename__ = "measurements"
    __table_args__ = (
        # An indicator's values by date, then id: its latest found by walking back (oversight latest_points_statement).
        Index("ix_measurements_indicator_latest", "indicator_id", "as_of", "id"),
        Index("ix_measurements_plan", "plan_id", "indicator_id"),
        # The ledger reads a batch of reports' values: without it, each of the 50 batches of the
        # province plan's ledger scanned all 2,000,000 measurements (~120 ms of PostgreSQL each).
        Index("ix_measurements_report", "report_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="reports.id", ondelete="CASCADE")
    version_id: int = Field(foreign_key="report_versions.id", ondelete="CASCADE")
    plan_id: int
    item_id: int
    indicator_id: int
    value: float = Field(description="The measured value, in the indicator's unit (指标值).")
    as_of: date
    note: str | None = Field(None, max_length=2000, description="Where the value comes from or what it means (说明).")


class Transition(ReportingModel, table=True):
    """One step of the workflow: who moved the report from which state to which, when, and why."""

    __tablename__ = "report_transitions"
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="reports.id", index=True, ondelete="CASCADE")
    from_status: str | None = Field(None, max_length=20, sa_type=String(20))
    to_status: str = Field(max_length=20, sa_type=String(20))
    actor: str = Field(max_length=255)
    at: datetime = Field(sa_type=DateTime(timezone=True))
    comment: str | None = Field(None, max_length=TEXT_LIMIT, sa_type=Text)


# The words of each report's text (检索, services/common/search_index.py), its snippet read in this order.
# Each report's unit beside its words: a unit searches its own reports in the search table alone.
report_index = Indexed(
    search_table(metadata, "report_search", "reports", "unit_id"),
    ("progress", "achievements", "problems", "next_steps"),
    "unit_id",
)

# The words of each review comment (审核意见, services/common/search_index.py), one row per version reviewed with one;
# its report's unit beside them: a unit searches the comments on its own reports in the search table alone.
review_comment_index = Indexed(
    search_table(metadata, "review_comment_search", "report_versions", "unit_id"), ("review_comment",), "unit_id"
)
