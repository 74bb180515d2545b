"""The annual assessment as an official document (年度综合考核结果通报, .docx): one table per list, ranked as the
JSON assessment ranks it, with each unit's score parts, bonus and penalty points and total."""

from __future__ import annotations

from datetime import date

from services.common.documents import OfficialDocument, Table, ordinal_heading
from services.reporting_api.assessment.schemas import Assessment, AssessmentList, AssessmentRow, Metric, Points

METRIC_TITLES = {
    Metric.ON_TIME: "按时报送",
    Metric.FIRST_TIME_ACCEPTED: "一次审核通过",
    Metric.GREEN_OR_DONE: "绿灯或办结",
    Metric.INDICATOR_ATTAINMENT: "指标完成度",
}
COLUMNS = ("名次", "单位", *METRIC_TITLES.values(), "基础得分", "加减分", "综合得分", "说明")
NONE = "—"


def assessment_document(
    assessment: Assessment, *, plan_title: str, issuer: str, number: str | None, issued_on: date
) -> OfficialDocument:
    periods = "、".join(assessment.periods) or "无"
    opening = (
        f"根据《{plan_title}》确定的考核办法，依据{assessment.year}年已关账的报送期（{periods}）"
        f"各单位报送、审核、进展和指标完成情况，结合考核加减分，现将{assessment.year}年度综合考核结果通报如下。"
        "县（市、区）与市级部门分别排名，同分并列。"
    )
    return OfficialDocument(
        issuer=issuer,
        number=number,
        title=f"关于{plan_title}{assessment.year}年度综合考核结果的通报",
        issued_on=issued_on,
        body=(opening,),
        tables=[_table(index, found) for index, found in enumerate(assessment.lists, start=1)],
    )


def _table(index: int, found: AssessmentList) -> Table:
    heading = found.title if found.ranked else f"{found.title}（不排名）"
    return Table(
        ordinal_heading(index, heading), COLUMNS, [_row(row) for row in found.rows], empty="无参加考核的单位。"
    )


def _row(row: AssessmentRow) -> tuple[str, ...]:
    points = {part.metric: part.points if part.share is not None else None for part in row.parts}
    return (
        str(row.rank) if row.rank is not None else NONE,
        row.unit_name,
        *(_points(points.get(metric)) for metric in METRIC_TITLES),
        _points(row.score),
        _signed(row.adjustment_points) if row.adjustments else NONE,
        _points(row.total),
        row.note or "",
    )


def _points(value: Points | None) -> str:
    return NONE if value is None else f"{value:.2f}"


def _signed(value: Points) -> str:
    return f"{value:+.2f}"
