"""HTTP route for the change history (变更记录) of one record."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel, Field

from services.common.auth import Staff
from services.common.history import history_of
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of
from services.common.routing import READ_ERRORS, api_router
from services.tasks_api.db import DatabaseDep, change_log

router = api_router("history")


class Entity(StrEnum):
    """The kinds of record whose change history is kept (留痕对象)."""

    PLAN = "plan"
    ITEM = "item"
    UNIT = "unit"
    LEADER = "leader"
    GROUP = "group"
    RESPONSIBILITY = "responsibility"
    ITEM_LEADER = "item_leader"
    INDICATOR = "indicator"
    MILESTONE = "milestone"
    EXTENSION = "extension"
    CLOSEOUT = "closeout"


class Change(BaseModel):
    """One change: who made it, when, and each field's old and new value."""

    id: int
    entity: str = Field(description="The kind of record that changed.")
    entity_id: int = Field(description="Id of the record that changed.")
    action: str = Field(description="What happened: created, updated or deleted (操作).")
    actor: str
    at: datetime
    changes: dict[str, Any] = Field(description="The fields that changed, each with its old and new value (变更内容).")


@router.get("/history/{entity}/{entity_id}", summary="The change history of one record, oldest first",
            responses=READ_ERRORS)
async def get_history(entity: Entity, entity_id: int, request: Request, response: Response, db: DatabaseDep,
                      _: Staff, limit: Limit = 50, cursor: Cursor = None) -> Page[Change]:
    async with db.read() as conn:
        rows = await history_of(conn, change_log, entity=entity.value, entity_id=entity_id,
                                after_id=decode_id_cursor(cursor), limit=limit)
    return page_of(rows, limit, request, response)
