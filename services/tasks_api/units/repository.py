"""The units' SQL: units and the spellings that resolve to them, as typed rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import Records
from services.common.tables import table_of
from services.common.typed_records import TypedRecords
from services.tasks_api.db import change_log
from services.tasks_api.units.models import Unit, UnitAlias, name_key

units, aliases = table_of(Unit), table_of(UnitAlias)
unit_records: Records[UnitRow] = Records(units, "unit", change_log)


class UnitRow(TypedDict):
    id: int
    name: str
    kind: str
    contact_person: str | None
    contact_phone: str | None
    contact_email: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class UnitWithAliases(UnitRow):
    """A unit with its spellings other than its name, in position order (as UnitPublic shows it)."""

    aliases: list[str]


unit_rows = TypedRecords(unit_records, UnitRow)


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
