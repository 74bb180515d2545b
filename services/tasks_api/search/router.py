"""GET /v1/search: tasks_api's items and indicators that hold every word of a query (检索)."""

from __future__ import annotations

from services.common.routing import api_router
from services.common.search_route import add_search_route
from services.tasks_api.search.service import SOURCES, SearchKind

router = api_router("search")
add_search_route(
    router,
    SOURCES,
    SearchKind,
    summary="Search items and indicators (检索)",
    description="The items and indicators whose text holds every word of `q` (Chinese cut into words), newest "
    "first within each kind (items, then indicators); a unit token finds only those of its own items.",
)
