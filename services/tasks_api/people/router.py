"""HTTP routes for leaders, groups and group members."""

from services.common.routing import api_router

router = api_router("people")
