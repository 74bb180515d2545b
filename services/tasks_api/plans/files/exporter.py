"""Export a plan back to the plan-file format: what was imported comes out the same."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.tables import table_of
from services.tasks_api.items.models import Item, ItemLeader, Responsibility
from services.tasks_api.people.models import Group, GroupMember, Leader
from services.tasks_api.plans.files.plan_file import (
    GroupEntry,
    IndicatorEntry,
    ItemEntry,
    LeaderEntry,
    MemberEntry,
    MilestoneEntry,
    PlanFile,
    PlanHeader,
    ResponsibleEntry,
    UnitEntry,
)
from services.tasks_api.plans.models import Plan
from services.tasks_api.targets.models import Indicator, Milestone
from services.tasks_api.units.models import Unit, UnitAlias, name_key

plans, units, aliases, leaders = table_of(Plan), table_of(Unit), table_of(UnitAlias), table_of(Leader)
groups, members, items = table_of(Group), table_of(GroupMember), table_of(Item)
responsibilities, item_leaders = table_of(Responsibility), table_of(ItemLeader)
indicators, milestones = table_of(Indicator), table_of(Milestone)


async def _rows(conn: AsyncConnection, query: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in (await conn.execute(query)).mappings()]


def _by_item(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["item_id"]].append(row)
    return grouped


async def export_plan(conn: AsyncConnection, plan: dict[str, Any]) -> PlanFile:
    """The plan, its tree and every unit, leader and group it names, as a PlanFile."""
    plan_items = await _rows(
        conn,
        select(items).where(items.c.plan_id == plan["id"]).order_by(items.c.parent_id, items.c.position, items.c.id),
    )
    in_plan = select(items.c.id).where(items.c.plan_id == plan["id"])
    duties = _by_item(
        await _rows(
            conn,
            select(responsibilities)
            .where(responsibilities.c.item_id.in_(in_plan))
            .order_by(responsibilities.c.position, responsibilities.c.id),
        )
    )
    heads = _by_item(
        await _rows(
            conn,
            select(item_leaders)
            .where(item_leaders.c.item_id.in_(in_plan))
            .order_by(item_leaders.c.position, item_leaders.c.id),
        )
    )
    measures = _by_item(
        await _rows(conn, select(indicators).where(indicators.c.item_id.in_(in_plan)).order_by(indicators.c.id))
    )
    steps = _by_item(
        await _rows(conn, select(milestones).where(milestones.c.item_id.in_(in_plan)).order_by(milestones.c.id))
    )
    plan_groups = await _rows(conn, select(groups).where(groups.c.plan_id == plan["id"]).order_by(groups.c.id))
    plan_members = await _rows(
        conn,
        select(members)
        .where(members.c.group_id.in_([g["id"] for g in plan_groups]))
        .order_by(members.c.position, members.c.id),
    )
    unit_ids = ({r["unit_id"] for rows in duties.values() for r in rows} | {g["unit_id"] for g in plan_groups}) - {None}
    unit_rows = await _rows(conn, select(units).where(units.c.id.in_(unit_ids)).order_by(units.c.id))
    unit_aliases = await _rows(
        conn, select(aliases).where(aliases.c.unit_id.in_(unit_ids)).order_by(aliases.c.unit_id, aliases.c.position)
    )
    leader_ids = {r["leader_id"] for rows in heads.values() for r in rows} | {m["leader_id"] for m in plan_members}
    leader_rows = await _rows(conn, select(leaders).where(leaders.c.id.in_(leader_ids)).order_by(leaders.c.id))
    unit_name = {u["id"]: u["name"] for u in unit_rows}
    spelled_by = {name_key(a["alias"]): a["unit_id"] for a in unit_aliases} | {
        name_key(n): i for i, n in unit_name.items()
    }

    def responsible(row: dict[str, Any]) -> str | ResponsibleEntry:
        """The canonical form: a unit printed under one of its own spellings is given by that spelling (a plain
        string in the first group); otherwise the unit by name with the designation as printed."""
        printed = row["printed_name"] or unit_name.get(row["unit_id"])
        if row["unit_id"] is None:
            return ResponsibleEntry(as_printed=printed, group=row["group"])
        if printed and spelled_by.get(name_key(printed)) == row["unit_id"]:
            return printed if row["group"] == 1 else ResponsibleEntry(unit=printed, group=row["group"])
        return ResponsibleEntry(unit=unit_name[row["unit_id"]], as_printed=printed, group=row["group"])

    leader_name = {r["id"]: r["name"] for r in leader_rows}

    def entry(row: dict[str, Any]) -> ItemEntry:
        return ItemEntry(
            key=row["key"],
            kind=row["kind"],
            number=row["number"],
            title=row["title"],
            text=row["text"],
            status=row["status"],
            starts_on=row["starts_on"],
            due_on=row["due_on"],
            units=[responsible(r) for r in duties[row["id"]]],
            lead_leaders=[leader_name[r["leader_id"]] for r in heads[row["id"]]],
            indicators=[IndicatorEntry(**{k: r[k] for k in IndicatorEntry.model_fields}) for r in measures[row["id"]]],
            milestones=[MilestoneEntry(title=r["title"], due_on=r["due_on"]) for r in steps[row["id"]]],
            children=[entry(child) for child in children[row["id"]]],
        )

    children: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for row in plan_items:
        children[row["parent_id"]].append(row)
    return PlanFile(
        plan=PlanHeader(**{k: plan[k] for k in PlanHeader.model_fields}),
        units=[
            UnitEntry(
                name=u["name"],
                kind=u["kind"],
                aliases=[a["alias"] for a in unit_aliases if a["unit_id"] == u["id"] and a["alias"] != u["name"]],
            )
            for u in unit_rows
        ],
        leaders=[LeaderEntry(name=r["name"], title=r["title"]) for r in leader_rows],
        groups=[
            GroupEntry(
                key=g["key"],
                name=g["name"],
                kind=g["kind"],
                unit=unit_name.get(g["unit_id"]),
                members=[
                    MemberEntry(leader=leader_name[m["leader_id"]], role=m["role"])
                    for m in plan_members
                    if m["group_id"] == g["id"]
                ],
            )
            for g in plan_groups
        ],
        items=[entry(row) for row in children[None]],
    )
