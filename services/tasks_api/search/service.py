"""What tasks_api searches (services/common/search.py): its items (title, text, number) and their indicators (name,
measure). A unit finds the items it is responsible for (lead or co-operating) and their indicators; the office,
viewers and services find all."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, select

from services.common.auth import Principal
from services.common.roles import Role
from services.common.search import Source
from services.common.tables import table_of
from services.tasks_api.items.models import Item, Responsibility, item_index
from services.tasks_api.targets.models import Indicator, indicator_index

items, responsibilities, indicators = table_of(Item), table_of(Responsibility), table_of(Indicator)


class SearchKind(StrEnum):
    """What a hit is: an item (事项) or an indicator (指标)."""

    ITEM = "item"
    INDICATOR = "indicator"


def _own_items(principal: Principal) -> ColumnElement[bool] | None:
    """A unit's items: those it holds a responsibility for; everyone else's: all."""
    if principal.role is not Role.UNIT:
        return None
    return items.c.id.in_(select(responsibilities.c.item_id).where(responsibilities.c.unit_id == principal.own_unit))


SOURCES = (
    Source(
        kind=SearchKind.ITEM.value,
        indexed=item_index,
        rows=items,
        record_id=items.c.id,
        plan_id=items.c.plan_id,
        title=items.c.title,
        texts=(items.c.title, items.c.text, items.c.number),
        visible=_own_items,
        href="/v1/items/{id}",
    ),
    Source(
        kind=SearchKind.INDICATOR.value,
        indexed=indicator_index,
        rows=indicators.join(items, items.c.id == indicators.c.item_id),
        record_id=indicators.c.id,
        plan_id=items.c.plan_id,
        title=indicators.c.name,
        texts=(indicators.c.name, indicators.c.measure),
        visible=_own_items,
        href="/v1/indicators/{id}",
    ),
)
