"""HTTP route for the change history (变更记录) of one record."""

from __future__ import annotations

from enum import StrEnum

from services.common.audit_route import add_audit_routes
from services.common.history_route import add_history_route
from services.common.routing import api_router
from services.tasks_api.db import change_log

router = api_router("history")


class Entity(StrEnum):
    """The kinds of record whose change history is kept (留痕对象)."""

    PLAN = "plan"
    ITEM = "item"
    UNIT = "unit"
    LEADER = "leader"
    GROUP = "group"
    RESPONSIBILITY = "responsibility"
    ITEM_LEADER = "item_leader"
    INDICATOR = "indicator"
    MILESTONE = "milestone"
    EXTENSION = "extension"
    CLOSEOUT = "closeout"
    ITEM_LINK = "item_link"
    BULK_ACKNOWLEDGEMENT = "bulk_acknowledgement"  # 批量签收, by unit id
    DELEGATION = "delegation"
    EVIDENCE = "evidence"  # 佐证材料


add_history_route(router, change_log, Entity)
add_audit_routes(router, change_log, Entity)
