"""Unit rules: one unit per spelling, aliases that follow renames, and the items a unit answers for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal
from services.common.auth import Role as PrincipalRole
from services.common.db import Database, contains
from services.common.dialect import dialect_of, hold_row
from services.common.history import record_change
from services.common.problems import Conflict, Forbidden, Unprocessable
from services.tasks_api.db import change_log
from services.tasks_api.delegations.service import delete_with_unit
from services.tasks_api.items.models import Role
from services.tasks_api.items.repository import responsibilities
from services.tasks_api.tables import UNIT_TREE_LOCK, UnitKind
from services.tasks_api.units.models import name_key
from services.tasks_api.units.repository import (
    UnitItemRow,
    UnitWithAliases,
    aliases,
    unit_item_page,
    unit_records,
    units,
    with_aliases,
    write_spellings,
)

# What the people room reads of this one (re-exported).
from services.tasks_api.units.schemas import UnitCreate, UnitUpdate

MAX_SPELLING = 100  # the width of unit_aliases.alias


# -- spellings --------------------------------------------------------------------------------------


def spellings_of(name: str, other_spellings: list[str]) -> list[str]:
    """The unit's spellings in position order: its name first, each spelling once; 422 for a blank one."""
    labelled = [("name", name), *((f"aliases[{n}]", s) for n, s in enumerate(other_spellings))]
    for label, spelling in labelled:
        if not name_key(spelling):
            raise Unprocessable(f"{label} is blank.")
        if len(spelling) > MAX_SPELLING:
            raise Unprocessable(f"{label} is longer than {MAX_SPELLING} characters.")
    return list(dict.fromkeys([name, *other_spellings]))


async def _refuse_taken_spellings(conn: AsyncConnection, spellings: list[str], unit_id: int | None) -> None:
    """409 when a spelling would resolve to another unit as well (the same name_key)."""
    keys = {name_key(s): s for s in spellings}
    query = (
        select(aliases.c.key, units.c.id, units.c.name)
        .join(units, units.c.id == aliases.c.unit_id)
        .where(aliases.c.key.in_(keys))
        .order_by(aliases.c.position)
        .limit(1)
    )
    if unit_id is not None:
        query = query.where(aliases.c.unit_id != unit_id)
    taken = (await conn.execute(query)).mappings().first()
    if taken:
        raise Conflict(
            f"The spelling {keys[taken['key']]!r} already resolves to unit {taken['name']} (id {taken['id']}).",
            unit_id=taken["id"],
        )


async def _check_parent(conn: AsyncConnection, unit_id: int | None, parent_id: int) -> None:
    """422 unless the parent unit (上级单位) exists and is not the unit itself or one of the units under it.

    Read under the unit tree's writer lock, held till the transaction ends: two parents set at once could otherwise
    each check the chain the other has not changed yet, and close a cycle between them."""
    await dialect_of(conn).writer_lock(conn, UNIT_TREE_LOCK)
    ancestor: int | None = parent_id
    seen: set[int] = set()
    while ancestor is not None and ancestor not in seen:
        if ancestor == unit_id:
            raise Unprocessable(
                f"Unit {parent_id} is unit {unit_id} itself or a unit under it: units may not form a cycle.",
                at=("body", "parent_id"),
            )
        seen.add(ancestor)
        found = (await conn.execute(select(units.c.id, units.c.parent_id).where(units.c.id == ancestor))).first()
        if found is None:
            raise Unprocessable(f"Unit {parent_id} does not exist.", at=("body", "parent_id"))
        ancestor = found.parent_id


# -- units ------------------------------------------------------------------------------------------


async def list_units(
    db: Database,
    *,
    after_id: int | None,
    limit: int,
    kind: UnitKind | None = None,
    name: str | None = None,
    q: str | None = None,
) -> list[UnitWithAliases]:
    where: list[Any] = []
    if kind:
        where.append(units.c.kind == kind.value)
    if name is not None:
        where.append(units.c.id.in_(select(aliases.c.unit_id).where(aliases.c.key == name_key(name))))
    if q:
        where.append(contains(units.c.name, q))
    async with db.read() as conn:
        return await with_aliases(conn, await unit_records.page(conn, where=where, after_id=after_id, limit=limit))


async def get_unit(db: Database, *, unit_id: int) -> UnitWithAliases:
    async with db.read() as conn:
        return (await with_aliases(conn, [await unit_records.get(conn, unit_id)]))[0]


async def create_unit(db: Database, *, data: UnitCreate, actor: Principal) -> UnitWithAliases:
    values = data.model_dump(mode="python", exclude={"aliases"})
    spellings = spellings_of(data.name, data.aliases)
    async with db.transaction() as conn:
        if data.parent_id is not None:
            await _check_parent(conn, None, data.parent_id)
        await _refuse_taken_spellings(conn, spellings, unit_id=None)
        unit = await unit_records.insert(conn, values, actor=actor.subject)
        await write_spellings(conn, unit["id"], spellings)
        return (await with_aliases(conn, [unit]))[0]


async def update_unit(
    db: Database, *, unit_id: int, data: UnitUpdate, version: int, actor: Principal
) -> UnitWithAliases:
    """Change a unit; `aliases` replaces the other spellings, and a rename drops the old name unless listed."""
    changes = data.model_dump(mode="python", exclude_unset=True)
    wanted_aliases = changes.pop("aliases", None)
    async with db.transaction() as conn:
        before = (await with_aliases(conn, [await unit_records.get(conn, unit_id)]))[0]
        if changes.get("parent_id") is not None:
            await _check_parent(conn, unit_id, changes["parent_id"])
        name = changes.get("name") or before["name"]
        old = spellings_of(before["name"], before["aliases"])
        new = spellings_of(name, before["aliases"] if wanted_aliases is None else wanted_aliases)
        if new != old:
            # The aliases are part of the unit's representation: changing them alone must still move its ETag.
            changes["updated_at"] = clock.now()
        after = await unit_records.update(conn, unit_id, changes, expected_version=version, actor=actor.subject)
        if new != old:
            await _refuse_taken_spellings(conn, new, unit_id=unit_id)
            await write_spellings(conn, unit_id, new)
            await record_change(
                conn,
                change_log,
                entity="unit",
                entity_id=unit_id,
                action="update",
                actor=actor.subject,
                before={"aliases": old[1:]},
                after={"aliases": new[1:]},
            )
        return UnitWithAliases(**after, aliases=new[1:])


async def delete_unit(db: Database, *, unit_id: int, version: int, actor: Principal) -> None:
    """Delete a unit, its spellings and its delegations (转办), its sub-units left without a parent; refused while it
    is still responsible for any item."""
    async with db.transaction() as conn:
        await _hold_unit(conn, unit_id)
        unit = await unit_records.get_at(conn, unit_id, version)
        duties = (
            await conn.execute(
                select(func.count()).select_from(responsibilities).where(responsibilities.c.unit_id == unit_id)
            )
        ).scalar_one()
        if duties:
            raise Conflict(
                f"Unit {unit['name']} is still responsible for {duties} item(s); "
                "reassign them before deleting the unit."
            )
        await delete_with_unit(conn, unit_id, actor=actor.subject)
        for sub_unit in (await conn.execute(select(units.c.id).where(units.c.parent_id == unit_id))).scalars():
            await unit_records.update(conn, sub_unit, {"parent_id": None}, expected_version=None, actor=actor.subject)
        await unit_records.delete(conn, unit_id, expected_version=version, actor=actor.subject)


async def _hold_unit(conn: AsyncConnection, unit_id: int) -> None:
    """Nothing refers to the unit anew till the transaction ends: a new delegation or sub-unit waits, then finds the
    unit gone (409)."""
    await hold_row(conn, UNIT_TREE_LOCK, units, unit_id)


# -- the items a unit answers for -------------------------------------------------------------------


async def list_unit_items(
    db: Database,
    *,
    unit_id: int,
    principal: Principal,
    after_id: int | None,
    limit: int,
    plan_id: int | None = None,
    role: Role | None = None,
    item_number: str | None = None,
) -> list[UnitItemRow]:
    """The items the unit is responsible for, each with the unit's role; a unit sees only its own."""
    if principal.role is PrincipalRole.UNIT and principal.unit_id != unit_id:
        raise Forbidden("A unit token may read only its own unit's items.")
    async with db.read() as conn:
        await unit_records.get(conn, unit_id)
        return await unit_item_page(
            conn, unit_id=unit_id, plan_id=plan_id, role=role, after_id=after_id, limit=limit, item_number=item_number
        )
