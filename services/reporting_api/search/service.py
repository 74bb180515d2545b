"""What reporting_api searches (services/common/search.py): its reports' text (progress, achievements, problems,
next steps), titled by their item and period; the leaders' instructions (批示) and the replies in their threads
(comments, answers, settlements), titled by their item and author; the reviewers' comments on the reports' versions
(审核意见), titled by their report. A unit finds its own reports and the comments on them, and the instructions that
concern it (its items' as issued, or mentioning it) with their replies; the office, viewers and services find
all."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, func

from services.common.auth import Principal
from services.common.roles import Role
from services.common.search import Source, everyone
from services.common.tables import table_of
from services.reporting_api.instructions.models import instruction_index, reply_index
from services.reporting_api.instructions.repository import instructions, replies, visible_to
from services.reporting_api.reports.models import Report, ReportVersion, report_index, review_comment_index

reports, versions = table_of(Report), table_of(ReportVersion)


class SearchKind(StrEnum):
    """What a hit is: a report (进展报告), an instruction (批示), a reply (回复) or a review comment (审核意见)."""

    REPORT = "report"
    INSTRUCTION = "instruction"
    REPLY = "instruction_reply"
    REVIEW_COMMENT = "review_comment"


def _own_reports(principal: Principal) -> ColumnElement[bool] | None:
    """A unit's reports, by the unit their search rows keep (the search table alone answers it)."""
    return report_index.table.c.unit_id == principal.own_unit if principal.role is Role.UNIT else None


def _own_comments(principal: Principal) -> ColumnElement[bool] | None:
    """The comments on a unit's reports, by the unit their search rows keep."""
    return review_comment_index.table.c.unit_id == principal.own_unit if principal.role is Role.UNIT else None


def _concerning(principal: Principal) -> ColumnElement[bool] | None:
    """The instructions a unit sees (the instructions room's rule); everyone else's: all."""
    return visible_to(principal.own_unit) if principal.role is Role.UNIT else None


# 1 建设快速路（2020-Q1，市交通运输局）: the item's number and title, the period and the unit, as they were named.
_REPORT_TITLE = (
    func.coalesce(reports.c.item_number + " ", "")
    + func.coalesce(reports.c.item_title, "")
    + "（"
    + reports.c.period
    + func.coalesce("，" + reports.c.unit_name, "")
    + "）"
)
# 1 建设快速路（市长张三批示）: the item, and who wrote the instruction.
_INSTRUCTION_TITLE = (
    instructions.c.item_number
    + " "
    + instructions.c.item_title
    + "（"
    + instructions.c.author_title
    + instructions.c.author_name
    + "批示）"
)

SOURCES = (
    Source(
        kind=SearchKind.REPORT.value,
        indexed=report_index,
        rows=reports,
        record_id=reports.c.id,
        plan_id=reports.c.plan_id,
        title=_REPORT_TITLE,
        texts=(reports.c.progress, reports.c.achievements, reports.c.problems, reports.c.next_steps),
        visible=everyone,
        href="/v1/reports/{id}",
        own=_own_reports,
    ),
    Source(
        kind=SearchKind.INSTRUCTION.value,
        indexed=instruction_index,
        rows=instructions,
        record_id=instructions.c.id,
        plan_id=instructions.c.plan_id,
        title=_INSTRUCTION_TITLE,
        texts=(instructions.c.text,),
        visible=_concerning,
        href="/v1/instructions/{id}",
    ),
    Source(
        kind=SearchKind.REPLY.value,
        indexed=reply_index,
        rows=replies.join(instructions, instructions.c.id == replies.c.instruction_id),
        record_id=replies.c.id,
        plan_id=instructions.c.plan_id,
        title="回复：" + _INSTRUCTION_TITLE,
        texts=(replies.c.text,),
        visible=_concerning,
        href="/v1/instructions/{id}",
        link=replies.c.instruction_id,
    ),
    Source(
        kind=SearchKind.REVIEW_COMMENT.value,
        indexed=review_comment_index,
        rows=versions.join(reports, reports.c.id == versions.c.report_id),
        record_id=versions.c.id,
        plan_id=reports.c.plan_id,
        title="审核意见：" + _REPORT_TITLE,
        texts=(versions.c.review_comment,),
        visible=everyone,
        href="/v1/reports/{id}/versions",
        link=versions.c.report_id,
        own=_own_comments,
    ),
)
