"""The item list on the hot path (services/common/hot_reads.py): a plan's items, or those a unit is responsible for."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, select

from services.common.hot_reads import HotList, plain_id
from services.tasks_api.items.repository import LIST_COLUMNS, items
from services.tasks_api.items.service import item_filters


@cache
def item_page(filters: frozenset[str]) -> Select[Any]:
    """The page service.list_items reads, built by the same item_filters."""
    unit_id: BindParameter[int] | None = bindparam("unit_id") if "unit_id" in filters else None
    where = item_filters(plan_id=bindparam("plan_id"), unit_id=unit_id, after_id=bindparam("after_id"))
    return (
        select(*LIST_COLUMNS)
        .where(*where, items.c.id > bindparam("after_id"))
        .order_by(items.c.id)
        .limit(bindparam("limit"))
    )


ITEM_LIST = HotList(
    path=re.compile(r"/v1/plans/(?P<plan_id>[^/]+)/items"), filters={"unit_id": plain_id}, page=item_page
)
