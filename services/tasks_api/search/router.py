"""GET /v1/search: tasks_api's items and indicators that hold every word of a query (检索)."""

from __future__ import annotations

from fastapi import Request, Response

from services.common.auth import PrincipalDep
from services.common.pagination import Cursor, Limit, Page
from services.common.routing import READ_ERRORS, api_router, list_page
from services.common.search import SearchAsk, SearchHit, SearchText
from services.tasks_api.deps import DatabaseDep, PlanFilter
from services.tasks_api.search import service
from services.tasks_api.search.service import SearchKind

router = api_router("search")


@list_page(
    router,
    "/search",
    summary="Search items and indicators (检索)",
    description="The items and indicators whose text holds every word of `q` (Chinese cut into words), newest "
    "first within each kind (items, then indicators); a unit token finds only those of its own items.",
    response_model=Page[SearchHit],
    responses=READ_ERRORS,
)
async def search(
    request: Request,
    db: DatabaseDep,
    principal: PrincipalDep,
    q: SearchText,
    kind: SearchKind | None = None,
    plan_id: PlanFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    ask = SearchAsk(q, kind.value if kind else None, plan_id, limit, cursor)
    return await service.search(db, ask, principal, request)
