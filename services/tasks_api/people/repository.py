"""The people's SQL: leaders, groups and their members, as typed rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict, cast

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import Records
from services.common.tables import table_of
from services.tasks_api.db import change_log
from services.tasks_api.people.models import Group, GroupMember
from services.tasks_api.tables import Leader

leaders, groups, members = table_of(Leader), table_of(Group), table_of(GroupMember)


class LeaderRow(TypedDict):
    id: int
    name: str
    title: str | None
    unit_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class GroupRow(TypedDict):
    id: int
    plan_id: int
    key: str
    name: str
    kind: str
    unit_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class SeatRow(TypedDict):
    """A seat in a group as stored: the leader and their role, in printed position."""

    id: int
    group_id: int
    leader_id: int
    role: str
    position: int


class MemberRow(SeatRow):
    """A seat in a group, with its leader's name and title."""

    leader_name: str
    leader_title: str | None


leader_records: Records[LeaderRow] = Records(leaders, "leader", change_log)
group_records: Records[GroupRow] = Records(groups, "group", change_log)

MEMBER_COLUMNS = [
    members.c.id,
    members.c.group_id,
    members.c.leader_id,
    members.c.role,
    members.c.position,
    leaders.c.name.label("leader_name"),
    leaders.c.title.label("leader_title"),
]


async def member_page(
    conn: AsyncConnection, *, group_id: int, after: tuple[int, int] | None, limit: int
) -> list[MemberRow]:
    """The group's members in printed order, keyed by (position, id)."""
    query = (
        select(*MEMBER_COLUMNS)
        .join(leaders, leaders.c.id == members.c.leader_id)
        .where(members.c.group_id == group_id)
        .order_by(members.c.position, members.c.id)
        .limit(limit + 1)
    )
    if after is not None:
        position, member_id = after
        query = query.where(
            or_(members.c.position > position, and_(members.c.position == position, members.c.id > member_id))
        )
    return [cast(MemberRow, dict(r)) for r in (await conn.execute(query)).mappings()]


async def next_seat(conn: AsyncConnection, group_id: int) -> int:
    """The position after the group's last member."""
    query = select(func.coalesce(func.max(members.c.position) + 1, 0)).where(members.c.group_id == group_id)
    position: int = (await conn.execute(query)).scalar_one()
    return position


async def seats(conn: AsyncConnection, group_id: int) -> list[list[Any]]:
    """The group's members as [leader_id, role] in printed order: the shape its history records."""
    rows = await conn.execute(
        select(members.c.leader_id, members.c.role)
        .where(members.c.group_id == group_id)
        .order_by(members.c.position, members.c.id)
    )
    return [[leader_id, role] for leader_id, role in rows]
