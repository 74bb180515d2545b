"""The item list on the hot path (services/common/hot_reads.py): a plan's items, or those a unit is responsible for."""

from __future__ import annotations

import re
from typing import Any

import asyncpg

from services.common.hot_reads import HotList, plain_id
from services.tasks_api.items.service import LIST_COLUMNS

_COLUMNS = ", ".join(f'"{column.name}"' for column in LIST_COLUMNS)
# The statements service.list_items builds for the same request; the unit's subquery repeats the cursor for the
# reason given there.
PLAN_PAGE = f"SELECT {_COLUMNS} FROM items WHERE plan_id = $1 AND id > $2 ORDER BY id LIMIT $3"
UNIT_PAGE = (f"SELECT {_COLUMNS} FROM items WHERE plan_id = $1 AND id > $2 "
             "AND id IN (SELECT item_id FROM responsibilities WHERE unit_id = $4 AND item_id > $2) ORDER BY id LIMIT $3")


async def fetch_items(connection: asyncpg.Connection, filters: dict[str, Any], after: int | None,
                      limit: int) -> list[asyncpg.Record]:
    if "unit_id" in filters:
        return await connection.fetch(UNIT_PAGE, filters["plan_id"], after or 0, limit + 1, filters["unit_id"])
    return await connection.fetch(PLAN_PAGE, filters["plan_id"], after or 0, limit + 1)


ITEM_LIST = HotList(path=re.compile(r"/v1/plans/(?P<plan_id>[^/]+)/items"), filters={"unit_id": plain_id},
                    fetch=fetch_items)
