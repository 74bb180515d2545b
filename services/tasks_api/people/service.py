"""Leader and group rules: who leads, which groups a plan has, and who sits in them in printed order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal
from services.common.db import Database
from services.common.dialect import hold_row
from services.common.history import record_change
from services.common.problems import Conflict, NotFound, Unprocessable
from services.common.records import conflict_from
from services.common.tables import table_of
from services.tasks_api.db import change_log
from services.tasks_api.items.models import ItemLeader
from services.tasks_api.people.models import GroupKind
from services.tasks_api.people.repository import (
    GroupRow,
    LeaderRow,
    MemberRow,
    group_records,
    groups,
    leader_records,
    leaders,
    member_page,
    members,
    next_seat,
    seats,
)
from services.tasks_api.people.schemas import GroupCreate, GroupUpdate, LeaderCreate, LeaderUpdate, MemberCreate
from services.tasks_api.tables import LEADER_LOCK, plan_records
from services.tasks_api.units.repository import unit_records

item_leaders = table_of(ItemLeader)


async def _check_unit(conn: AsyncConnection, unit_id: int | None) -> None:
    """A leader or group may name a unit only if it exists (422: the body is wrong, not the URL)."""
    if unit_id is not None and await unit_records.find(conn, unit_id) is None:
        raise Unprocessable(f"Unit {unit_id} does not exist.", at=("body", "unit_id"))


# -- leaders ----------------------------------------------------------------------------------------


async def list_leaders(db: Database, *, after_id: int | None, limit: int, name: str | None = None) -> list[LeaderRow]:
    where = [leaders.c.name == name] if name is not None else []
    async with db.read() as conn:
        return await leader_records.page(conn, where=where, after_id=after_id, limit=limit)


async def get_leader(db: Database, *, leader_id: int) -> LeaderRow:
    async with db.read() as conn:
        return await leader_records.get(conn, leader_id)


async def create_leader(db: Database, *, data: LeaderCreate, actor: Principal) -> LeaderRow:
    async with db.transaction() as conn:
        await _check_unit(conn, data.unit_id)
        return await leader_records.insert(conn, data.model_dump(mode="python"), actor=actor.subject)


async def update_leader(
    db: Database, *, leader_id: int, data: LeaderUpdate, version: int, actor: Principal
) -> LeaderRow:
    changes = data.model_dump(mode="python", exclude_unset=True)
    async with db.transaction() as conn:
        await leader_records.get(conn, leader_id)
        await _check_unit(conn, changes.get("unit_id"))
        return await leader_records.update(conn, leader_id, changes, expected_version=version, actor=actor.subject)


async def delete_leader(db: Database, *, leader_id: int, version: int, actor: Principal) -> None:
    """Delete a leader; refused while they sit in a group or lead an item, which would vanish unrecorded."""
    async with db.transaction() as conn:
        leader = await leader_records.get_at(conn, leader_id, version)
        # Held before what refers to the leader is counted: a seat or a lead written meanwhile is counted, or finds the
        # leader gone; counted without it, one written at the same moment was cascaded away unrecorded.
        await hold_row(conn, LEADER_LOCK, leaders, leader_id)
        seats = await _count(conn, members, members.c.leader_id == leader_id)
        leads = await _count(conn, item_leaders, item_leaders.c.leader_id == leader_id)
        if seats or leads:
            raise Conflict(
                f"Leader {leader['name']} still sits in {seats} group seat(s) and leads {leads} item(s); "
                "remove those first."
            )
        await leader_records.delete(conn, leader_id, expected_version=version, actor=actor.subject)


async def _count(conn: AsyncConnection, table: Any, condition: Any) -> int:
    return (await conn.execute(select(func.count()).select_from(table).where(condition))).scalar_one()


# -- groups -----------------------------------------------------------------------------------------


async def list_groups(
    db: Database, *, after_id: int | None, limit: int, plan_id: int | None = None, kind: GroupKind | None = None
) -> list[GroupRow]:
    where: list[Any] = []
    if plan_id is not None:
        where.append(groups.c.plan_id == plan_id)
    if kind is not None:
        where.append(groups.c.kind == kind.value)
    async with db.read() as conn:
        return await group_records.page(conn, where=where, after_id=after_id, limit=limit)


async def get_group(db: Database, *, group_id: int) -> GroupRow:
    async with db.read() as conn:
        return await group_records.get(conn, group_id)


async def create_group(db: Database, *, data: GroupCreate, actor: Principal) -> GroupRow:
    async with db.transaction() as conn:
        if await plan_records.find(conn, data.plan_id) is None:
            raise Unprocessable(f"Plan {data.plan_id} does not exist.", at=("body", "plan_id"))
        await _check_unit(conn, data.unit_id)
        return await group_records.insert(conn, data.model_dump(mode="python"), actor=actor.subject)


async def update_group(db: Database, *, group_id: int, data: GroupUpdate, version: int, actor: Principal) -> GroupRow:
    changes = data.model_dump(mode="python", exclude_unset=True)
    async with db.transaction() as conn:
        await group_records.get(conn, group_id)
        await _check_unit(conn, changes.get("unit_id"))
        return await group_records.update(conn, group_id, changes, expected_version=version, actor=actor.subject)


async def delete_group(db: Database, *, group_id: int, version: int, actor: Principal) -> None:
    async with db.transaction() as conn:
        await group_records.delete(conn, group_id, expected_version=version, actor=actor.subject)


# -- members ----------------------------------------------------------------------------------------


def member_cursor(row: MemberRow) -> list[int]:
    return [row["position"], row["id"]]


async def list_members(db: Database, *, group_id: int, after: tuple[int, int] | None, limit: int) -> list[MemberRow]:
    async with db.read() as conn:
        await group_records.get(conn, group_id)
        return await member_page(conn, group_id=group_id, after=after, limit=limit)


async def _record_seats(conn: AsyncConnection, group_id: int, before: list[list[Any]], actor: Principal) -> None:
    await record_change(
        conn,
        change_log,
        entity="group",
        entity_id=group_id,
        action="update",
        actor=actor.subject,
        before={"members": before},
        after={"members": await seats(conn, group_id)},
    )


async def add_member(db: Database, *, group_id: int, data: MemberCreate, actor: Principal) -> MemberRow:
    """Seat a leader in the group, after the last member."""
    async with db.transaction() as conn:
        await group_records.get(conn, group_id)
        leader = await leader_records.find(conn, data.leader_id)
        if leader is None:
            raise Unprocessable(f"Leader {data.leader_id} does not exist.", at=("body", "leader_id"))
        before = await seats(conn, group_id)
        if [data.leader_id, data.role] in before:
            raise Conflict(f"{leader['name']} is already {data.role} of group {group_id}.")
        position = await next_seat(conn, group_id)
        values = {"group_id": group_id, "leader_id": data.leader_id, "role": data.role, "position": position}
        try:
            member_id = (await conn.execute(members.insert().values(**values).returning(members.c.id))).scalar_one()
        except IntegrityError as exc:  # a concurrent request seated the same leader in the same role
            raise conflict_from(exc, "group member") from exc
        await _record_seats(conn, group_id, before, actor)
        return MemberRow(
            id=member_id,
            group_id=group_id,
            leader_id=data.leader_id,
            role=data.role,
            position=position,
            leader_name=leader["name"],
            leader_title=leader["title"],
        )


async def remove_member(db: Database, *, group_id: int, member_id: int, actor: Principal) -> None:
    async with db.transaction() as conn:
        await group_records.get(conn, group_id)
        before = await seats(conn, group_id)
        removed = await conn.execute(members.delete().where(members.c.id == member_id, members.c.group_id == group_id))
        if removed.rowcount == 0:
            raise NotFound(f"Group {group_id} has no member {member_id}.")
        await _record_seats(conn, group_id, before, actor)
