"""What reporting_api searches (services/common/search.py): its reports' text (progress, achievements, problems,
next steps), titled by their item and period. A unit finds its own reports; the office, viewers and services all.

Another kind of record (instructions, comments) is one more `Source` here, with its search table beside its table
(`search_table` in its models, `add_search_table` in a migration) and `indexed=` on its Records."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, func

from services.common.auth import Principal
from services.common.roles import Role
from services.common.search import Source
from services.common.tables import table_of
from services.reporting_api.reports.models import Report, report_index

reports = table_of(Report)


class SearchKind(StrEnum):
    """What a hit is: a progress report (进展报告)."""

    REPORT = "report"


def _own_reports(principal: Principal) -> ColumnElement[bool] | None:
    return reports.c.unit_id == principal.own_unit if principal.role is Role.UNIT else None


# 1 建设快速路（2020-Q1，市交通运输局）: the item's number and title, the period and the unit, as they were named.
_TITLE = (
    func.coalesce(reports.c.item_number + " ", "")
    + func.coalesce(reports.c.item_title, "")
    + "（"
    + reports.c.period
    + func.coalesce("，" + reports.c.unit_name, "")
    + "）"
)

SOURCES = (
    Source(
        kind=SearchKind.REPORT.value,
        indexed=report_index,
        rows=reports,
        record_id=reports.c.id,
        plan_id=reports.c.plan_id,
        title=_TITLE,
        texts=(reports.c.progress, reports.c.achievements, reports.c.problems, reports.c.next_steps),
        visible=_own_reports,
        href="/v1/reports/{id}",
    ),
)
