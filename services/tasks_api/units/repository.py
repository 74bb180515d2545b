"""The units' SQL: units and the spellings that resolve to them, as typed rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TypedDict, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import Records
from services.common.tables import table_of
from services.tasks_api.db import change_log
from services.tasks_api.items.models import Role
from services.tasks_api.items.repository import LIST_COLUMNS, ItemListRow, item_records, items, responsibilities
from services.tasks_api.tables import Unit
from services.tasks_api.units.models import UnitAlias, name_key

units, aliases = table_of(Unit), table_of(UnitAlias)
unit_records: Records[UnitRow] = Records(units, "unit", change_log)


class UnitRow(TypedDict):
    id: int
    name: str
    kind: str
    contact_person: str | None
    contact_phone: str | None
    contact_email: str | None
    parent_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class UnitWithAliases(UnitRow):
    """A unit with its spellings other than its name, in position order (as UnitPublic shows it)."""

    aliases: list[str]


class AliasRow(TypedDict):
    """A spelling of a unit (its name among them), in the unit's order."""

    alias: str
    key: str
    unit_id: int
    position: int


class UnitItemRow(ItemListRow):
    """An item a unit answers for, with the unit's role in it and its acknowledgement (UnitItem)."""

    role: str
    acknowledged_at: datetime | None


UNIT_ITEM_COLUMNS = [*LIST_COLUMNS, responsibilities.c.role, responsibilities.c.acknowledged_at]


async def write_spellings(conn: AsyncConnection, unit_id: int, spellings: list[str]) -> None:
    await conn.execute(aliases.delete().where(aliases.c.unit_id == unit_id))
    await conn.execute(
        aliases.insert(),
        [{"alias": s, "key": name_key(s), "unit_id": unit_id, "position": n} for n, s in enumerate(spellings)],
    )


async def _other_spellings(conn: AsyncConnection, unit_rows: list[UnitRow]) -> dict[int, list[str]]:
    """Unit id → its spellings other than its name, in position order."""
    names = {u["id"]: u["name"] for u in unit_rows}
    rows = await conn.execute(
        select(aliases.c.unit_id, aliases.c.alias)
        .where(aliases.c.unit_id.in_(names))
        .order_by(aliases.c.unit_id, aliases.c.position, aliases.c.alias)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for unit_id, alias in rows:
        if alias != names[unit_id]:
            found[unit_id].append(alias)
    return found


async def with_aliases(conn: AsyncConnection, unit_rows: list[UnitRow]) -> list[UnitWithAliases]:
    spellings = await _other_spellings(conn, unit_rows)
    return [UnitWithAliases(**u, aliases=spellings.get(u["id"], [])) for u in unit_rows]


async def unit_item_page(
    conn: AsyncConnection,
    *,
    unit_id: int,
    plan_id: int | None,
    role: Role | None,
    after_id: int | None,
    limit: int,
    item_number: str | None = None,
) -> list[UnitItemRow]:
    """`limit + 1` of the items the unit is responsible for (of the plan, in the role), in id order after the cursor."""
    where = [responsibilities.c.item_id == items.c.id, responsibilities.c.unit_id == unit_id]
    if plan_id is not None:
        where.append(items.c.plan_id == plan_id)
    if role is not None:
        where.append(responsibilities.c.role == role.value)
    if item_number is not None:
        where.append(items.c.number == item_number)
    rows = await item_records.page(conn, where=where, after_id=after_id, limit=limit, columns=UNIT_ITEM_COLUMNS)
    return cast(list[UnitItemRow], rows)


async def under_itself(conn: AsyncConnection, unit_id: int) -> bool:
    """Whether following the unit's parents upward comes back to it (a cycle of 上级单位)."""
    seen: set[int] = set()
    step: int | None = unit_id
    while step is not None and step not in seen:
        seen.add(step)
        step = await conn.scalar(select(units.c.parent_id).where(units.c.id == step))
    return step == unit_id
