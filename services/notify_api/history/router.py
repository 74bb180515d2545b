"""HTTP route for the change history (变更记录) of one of notify_api's records."""

from __future__ import annotations

from enum import StrEnum

from services.common.audit_route import add_audit_routes
from services.common.history_route import add_history_route
from services.common.routing import api_router
from services.notify_api.db import change_log

router = api_router("history")


class Entity(StrEnum):
    """The kinds of record whose change history notify_api keeps (留痕对象). Secrets never enter it: contacts and
    subscriptions are recorded with their secrets sealed and left out, feed tokens by their hash only."""

    CONTACT = "contact"
    SUBSCRIPTION = "subscription"
    REMINDER_RULE = "reminder_rule"
    PAUSE = "pause"
    FEED_TOKEN = "feed_token"
    NOTIFICATION = "notification"
    DISPATCH = "dispatch"
    URGING = "urging"  # 催办记录, by unit id


add_history_route(router, change_log, Entity)
add_audit_routes(router, change_log, Entity)
