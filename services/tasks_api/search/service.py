"""What tasks_api searches (services/common/search.py): its items (title, text, number) and their indicators (name,
measure). A unit finds the items it is responsible for (lead or co-operating) and their indicators; the office,
viewers and services find all."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Select, select

from services.common.auth import Principal
from services.common.roles import Role
from services.common.search import Source, everyone
from services.common.tables import table_of
from services.tasks_api.items.models import Item, Responsibility, item_index
from services.tasks_api.targets.models import Indicator, indicator_index

items, responsibilities, indicators = table_of(Item), table_of(Responsibility), table_of(Indicator)


class SearchKind(StrEnum):
    """What a hit is: an item (事项) or an indicator (指标)."""

    ITEM = "item"
    INDICATOR = "indicator"


def _own_items(principal: Principal) -> Select[Any] | None:
    """A unit's items: those it holds a responsibility for (by its responsibilities' index, newest first)."""
    if principal.role is not Role.UNIT:
        return None
    return select(responsibilities.c.item_id).where(responsibilities.c.unit_id == principal.own_unit)


def _own_indicators(principal: Principal) -> Select[Any] | None:
    """The indicators of a unit's items."""
    if principal.role is not Role.UNIT:
        return None
    held = responsibilities.join(indicators, indicators.c.item_id == responsibilities.c.item_id)
    return select(indicators.c.id).select_from(held).where(responsibilities.c.unit_id == principal.own_unit)


SOURCES = (
    Source(
        kind=SearchKind.ITEM.value,
        indexed=item_index,
        rows=items,
        record_id=items.c.id,
        plan_id=items.c.plan_id,
        title=items.c.title,
        texts=(items.c.title, items.c.text, items.c.number),
        visible=everyone,
        href="/v1/items/{id}",
        mine=_own_items,
    ),
    Source(
        kind=SearchKind.INDICATOR.value,
        indexed=indicator_index,
        rows=indicators.join(items, items.c.id == indicators.c.item_id),
        record_id=indicators.c.id,
        plan_id=items.c.plan_id,
        title=indicators.c.name,
        texts=(indicators.c.name, indicators.c.measure),
        visible=everyone,
        href="/v1/indicators/{id}",
        mine=_own_indicators,
    ),
)
