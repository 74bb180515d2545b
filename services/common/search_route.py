"""GET /v1/search (检索) of a service, as one route its `search` room adds to its router with the sources it searches
(services/common/search.py): the same parameters, page and contract in every service.

No `from __future__ import annotations` here: FastAPI reads the route's annotations, and the kind enum is a
parameter of the factory, which it could not resolve from a string."""

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.common.auth import PrincipalDep
from services.common.db import Database
from services.common.deps_factory import get_database
from services.common.pagination import Cursor, Limit, Page
from services.common.routing import READ_ERRORS, list_page
from services.common.search import SearchAsk, SearchHit, SearchText, Source, search_page

Database_ = Annotated[Database, Depends(get_database)]
PlanFilter = Annotated[int | None, Query(description="Only hits of this plan.")]


def add_search_route(
    router: APIRouter, sources: Sequence[Source], kinds: type[StrEnum], *, summary: str, description: str
) -> None:
    """GET /search on `router`: the hits of `sources`, in their order; `kinds` names each source's kind (the
    `kind` filter), one member per source."""
    if [kind.value for kind in kinds] != [source.kind for source in sources]:
        raise ValueError("the kinds of a search are those of its sources, in their order")
    Kind = kinds | None  # documented by the contract's own words for an enum filter

    @list_page(
        router,
        "/search",
        summary=summary,
        description=description,
        response_model=Page[SearchHit],
        responses=READ_ERRORS,
    )
    async def search(
        request: Request,
        db: Database_,
        principal: PrincipalDep,
        q: SearchText,
        kind: Kind = None,  # type: ignore[valid-type]
        plan_id: PlanFilter = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Response:
        ask = SearchAsk(q, None if kind is None else str(kind), plan_id, limit, cursor)
        return await search_page(db, sources, ask, principal, request)
