"""GET /v1/search: reporting_api's reports, instructions and replies that hold every word of a query (检索)."""

from __future__ import annotations

from services.common.routing import api_router
from services.common.search_route import add_search_route
from services.reporting_api.search.service import SOURCES, SearchKind

router = api_router("search")
add_search_route(
    router,
    SOURCES,
    SearchKind,
    summary="Search progress reports, instructions, their replies and review comments (检索)",
    description="The reports whose text (progress, achievements, problems, next steps), the instructions (批示), "
    "the replies in their threads and the review comments on reports' versions (审核意见) whose text holds every "
    "word of `q` (Chinese cut into words), newest first within each kind (reports, instructions, replies, then "
    "review comments, each linking to its report's versions); a unit token finds only its own reports and the "
    "comments on them, and the instructions that concern it, with their replies.",
)
