"""HTTP routes for indicators (指标) and milestones (节点) of an item."""

from services.common.routing import api_router

router = api_router("targets")
