"""HTTP route for the change history (变更记录) of one of reporting_api's records."""

from __future__ import annotations

from enum import StrEnum

from services.common.audit_route import add_audit_routes
from services.common.history_route import add_history_route
from services.common.routing import api_router
from services.reporting_api.db import change_log

router = api_router("history")


class Entity(StrEnum):
    """The kinds of record whose change history reporting_api keeps (留痕对象); plan-wide ones by plan id."""

    PLAN_RULES = "plan_rules"  # by plan id
    PERIOD_DUE_DATE = "period_due_date"  # by plan id
    ASSESSMENT_ADJUSTMENT = "assessment_adjustment"  # 考核加减分, by adjustment id
    BULK_REVIEW = "bulk_review"  # 批量审核, by plan id
    EVIDENCE = "evidence"  # 佐证材料, by evidence id
    INSTRUCTION = "instruction"  # 领导批示, by instruction id (its replies too)


add_history_route(router, change_log, Entity)
add_audit_routes(router, change_log, Entity)
