"""HTTP route for the change history (变更记录) of one record."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from services.common.auth import Staff
from services.common.history import history_of
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of
from services.common.routing import api_router
from services.tasks_api.db import DatabaseDep, change_log

router = api_router("history")


class Entity(StrEnum):
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


class Change(BaseModel):
    """One change: who made it, when, and each field's old and new value."""

    id: int
    entity: str
    entity_id: int
    action: str
    actor: str
    at: datetime
    changes: dict[str, Any]


@router.get("/history/{entity}/{entity_id}", summary="The change history of one record, oldest first")
async def get_history(entity: Entity, entity_id: int, request: Request, response: Response, db: DatabaseDep,
                      _: Staff, limit: Limit = 50, cursor: Cursor = None) -> Page[Change]:
    async with db.read() as conn:
        rows = await history_of(conn, change_log, entity=entity.value, entity_id=entity_id,
                                after_id=decode_id_cursor(cursor), limit=limit)
    return page_of(rows, limit, request, response)
