"""The change-history route (变更记录), the same in every service that keeps a change log.

No `from __future__ import annotations` here: FastAPI reads the route's annotations, and the entity enum is a
parameter of the factory, which it could not resolve from a string."""

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import Table

from services.common.auth import Staff
from services.common.db import Database
from services.common.deps_factory import get_database
from services.common.history import Change, history_of
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of
from services.common.routing import READ_ERRORS


def add_history_route(router: APIRouter, change_log: Table, entities: type[StrEnum]) -> None:
    """GET /history/{entity}/{entity_id}: one record's changes, oldest first, for the office."""

    @router.get(
        "/history/{entity}/{entity_id}", summary="The change history of one record, oldest first", responses=READ_ERRORS
    )
    async def get_history(
        entity: entities,  # type: ignore[valid-type]
        entity_id: int,
        request: Request,
        response: Response,
        db: Annotated[Database, Depends(get_database)],
        _: Staff,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[Change]:
        async with db.read() as conn:
            rows = await history_of(
                conn,
                change_log,
                entity=str(entity),  # a StrEnum member is its value
                entity_id=entity_id,
                after_id=decode_id_cursor(cursor),
                limit=limit,
            )
        return page_of(Page[Change], rows, limit, request, response)
