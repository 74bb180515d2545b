"""What each type of report must say before it is submitted (drafts may be incomplete).

A progress report (月度进展, 季度梳理) says what progressed, the problems and the next steps. A summary (半年小结,
年度汇总) says what the half-year or the year achieved, the problems, the next steps, and, from the lead unit (the
report of record), a value for every indicator of the item (指标完成情况); a co-operating unit's summary is a
contribution and need not carry the item's figures.
"""

from __future__ import annotations

from collections.abc import Collection

from services.common.problems import Unprocessable
from services.reporting_api.periods.calendar import ReportType
from services.reporting_api.reports.repository import ReportRow
from services.reporting_api.reports.schemas import ContentError, ReportContent

SUMMARIES = (ReportType.HALF_YEAR, ReportType.ANNUAL)
REQUIRED_TEXT = {
    ReportType.MONTHLY: ("progress", "problems", "next_steps"),
    ReportType.QUARTERLY: ("progress", "problems", "next_steps"),
    ReportType.HALF_YEAR: ("achievements", "problems", "next_steps"),
    ReportType.ANNUAL: ("achievements", "problems", "next_steps"),
}
LABELS = {
    "progress": "进展情况",
    "achievements": "主要成效",
    "problems": "存在问题",
    "next_steps": "下步计划",
    "measurements": "指标完成情况",
}


def needs_indicator_values(report_type: str, role: str) -> bool:
    """Whether a submission must carry a value for every indicator of the item."""
    return report_type in SUMMARIES and role == "lead"


def content_of(report: ReportContent) -> ReportContent:
    """The report's content (CONTENT of reports/service.py), as a submitted version freezes it."""
    return {
        "progress": report["progress"],
        "achievements": report["achievements"],
        "problems": report["problems"],
        "next_steps": report["next_steps"],
        "percent_complete": report["percent_complete"],
        "self_status": report["self_status"],
        "measurements": report["measurements"],
        "attachments": report["attachments"],
    }


def missing_content(report: ReportRow, indicator_ids: Collection[int]) -> list[ContentError]:
    """The required content the report lacks, as field errors; `indicator_ids` are those it must give values for."""
    texts = {
        "progress": report["progress"],
        "achievements": report["achievements"],
        "problems": report["problems"],
        "next_steps": report["next_steps"],
    }
    errors: list[ContentError] = [
        {
            "location": ["body", name],
            "type": "missing",
            "message": f"A {report['report_type']} report needs {name} ({LABELS[name]}).",
        }
        for name in REQUIRED_TEXT[ReportType(report["report_type"])]
        if not str(texts[name]).strip()
    ]
    given = {m["indicator_id"] for m in report["measurements"]}
    if absent := sorted(set(indicator_ids) - given):
        errors.append(
            {
                "location": ["body", "measurements"],
                "type": "missing",
                "message": f"A summary of the lead unit needs a value for indicator(s) {absent} "
                f"({LABELS['measurements']}).",
            }
        )
    return errors


def require_content(report: ReportRow, indicator_ids: Collection[int]) -> None:
    """422 naming every missing field, unless the report says what its type asks for."""
    if errors := missing_content(report, indicator_ids):
        fields = ", ".join(str(e["location"][-1]) for e in errors)
        raise Unprocessable(
            f"This {report['report_type']} report cannot be submitted without: {fields}.", errors=errors
        )
