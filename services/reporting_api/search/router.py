"""GET /v1/search: reporting_api's reports that hold every word of a query (检索)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from services.common.auth import PrincipalDep
from services.common.pagination import Cursor, Limit, Page
from services.common.routing import READ_ERRORS, api_router, list_page
from services.common.search import SearchAsk, SearchHit, SearchText
from services.reporting_api.deps import DatabaseDep
from services.reporting_api.search import service
from services.reporting_api.search.service import SearchKind

router = api_router("search")


@list_page(
    router,
    "/search",
    summary="Search progress reports (检索)",
    description="The reports whose text (progress, achievements, problems, next steps) holds every word of `q` "
    "(Chinese cut into words), newest first; a unit token finds only its own reports.",
    response_model=Page[SearchHit],
    responses=READ_ERRORS,
)
async def search(
    request: Request,
    db: DatabaseDep,
    principal: PrincipalDep,
    q: SearchText,
    kind: SearchKind | None = None,
    plan_id: Annotated[int | None, Query(description="Only reports of this plan.")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    ask = SearchAsk(q, kind.value if kind else None, plan_id, limit, cursor)
    return await service.search(db, ask, principal, request)
