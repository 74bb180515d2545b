"""GET /v1/search: reporting_api's reports that hold every word of a query (检索)."""

from __future__ import annotations

from services.common.routing import api_router
from services.common.search_route import add_search_route
from services.reporting_api.search.service import SOURCES, SearchKind

router = api_router("search")
add_search_route(
    router,
    SOURCES,
    SearchKind,
    summary="Search progress reports (检索)",
    description="The reports whose text (progress, achievements, problems, next steps) holds every word of `q` "
    "(Chinese cut into words), newest first; a unit token finds only its own reports.",
)
