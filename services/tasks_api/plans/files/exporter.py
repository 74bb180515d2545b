"""Export a plan back to the plan-file format: what was imported comes out the same."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import rows_of
from services.common.tables import table_of
from services.tasks_api.items.models import Item, ItemKind, ItemLeader, ItemStatus, Responsibility, Role
from services.tasks_api.items.repository import ItemLeaderLink, ItemRow, StoredResponsibility
from services.tasks_api.people.models import Group, GroupKind, GroupMember
from services.tasks_api.people.repository import GroupRow, LeaderRow, SeatRow
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
    ServesEntry,
    UnitEntry,
    responsible_entry,
)
from services.tasks_api.tables import ItemLink, Leader, Plan, PlanRow, Unit, UnitKind
from services.tasks_api.targets.models import Indicator, Milestone
from services.tasks_api.targets.repository import IndicatorRow, MilestoneRow
from services.tasks_api.units.models import UnitAlias, name_key
from services.tasks_api.units.repository import AliasRow, UnitRow

plans, units, aliases, leaders = table_of(Plan), table_of(Unit), table_of(UnitAlias), table_of(Leader)
groups, members, items = table_of(Group), table_of(GroupMember), table_of(Item)
responsibilities, item_leaders = table_of(Responsibility), table_of(ItemLeader)
indicators, milestones, links = table_of(Indicator), table_of(Milestone), table_of(ItemLink)

OfItemT = TypeVar("OfItemT", bound=Mapping[str, Any])  # a row of what hangs on an item (it has an item_id)
EntryT = TypeVar("EntryT", bound=BaseModel)


@dataclass(frozen=True)
class _Tree:
    """The plan's items, and what hangs on each of them by item id (an item without any has an empty list)."""

    items: list[ItemRow]
    duties: defaultdict[int, list[StoredResponsibility]]
    heads: defaultdict[int, list[ItemLeaderLink]]
    measures: defaultdict[int, list[IndicatorRow]]
    steps: defaultdict[int, list[MilestoneRow]]
    serves: dict[int, ServesEntry]  # the items' links, by item id (an item that serves nothing has none)


@dataclass(frozen=True)
class _Named:
    """The groups of the plan with their members, and every unit and leader that the plan names."""

    groups: list[GroupRow]
    members: list[SeatRow]
    units: list[UnitRow]
    aliases: list[AliasRow]
    leaders: list[LeaderRow]
    parents: dict[int, str]  # the names of the units' parents (上级单位), named in the plan or not


async def export_plan(conn: AsyncConnection, plan: PlanRow) -> PlanFile:
    """The plan, its tree and every unit, leader and group it names, as a PlanFile."""
    tree = await _read_tree(conn, plan["id"])
    return _Writer(tree, await _read_named(conn, plan["id"], tree)).plan_file(plan)


def _by_item(rows: list[OfItemT]) -> defaultdict[int, list[OfItemT]]:
    grouped: defaultdict[int, list[OfItemT]] = defaultdict(list)
    for row in rows:
        grouped[row["item_id"]].append(row)
    return grouped


async def _read_tree(conn: AsyncConnection, plan_id: int) -> _Tree:
    plan_items = select(items).where(items.c.plan_id == plan_id)
    in_plan = select(items.c.id).where(items.c.plan_id == plan_id)
    duties = (
        select(responsibilities)
        .where(responsibilities.c.item_id.in_(in_plan))
        # In the item's order: where it does not say who leads (the first unit), the roles are named (unit_entries()).
        .order_by(responsibilities.c.position, responsibilities.c.id)
    )
    heads = (
        select(item_leaders)
        .where(item_leaders.c.item_id.in_(in_plan))
        .order_by(item_leaders.c.position, item_leaders.c.id)
    )
    measures = select(indicators).where(indicators.c.item_id.in_(in_plan)).order_by(indicators.c.id)
    steps = select(milestones).where(milestones.c.item_id.in_(in_plan)).order_by(milestones.c.id)
    return _Tree(
        items=await rows_of(conn, plan_items.order_by(items.c.parent_id, items.c.position, items.c.id), ItemRow),
        duties=_by_item(await rows_of(conn, duties, StoredResponsibility)),
        heads=_by_item(await rows_of(conn, heads, ItemLeaderLink)),
        measures=_by_item(await rows_of(conn, measures, IndicatorRow)),
        steps=_by_item(await rows_of(conn, steps, MilestoneRow)),
        serves=await _read_serves(conn, in_plan),
    )


async def _read_serves(conn: AsyncConnection, in_plan: Select[tuple[int]]) -> dict[int, ServesEntry]:
    """What the plan's items serve: another plan's item by the plan's key and its own, or the external task."""
    target, higher = items.alias("target"), plans.alias("higher")
    served = (
        select(links.c.item_id, links.c.reference, links.c.title, links.c.source, target.c.key, higher.c.key)
        .select_from(links)
        .outerjoin(target, target.c.id == links.c.serves_item_id)
        .outerjoin(higher, higher.c.id == target.c.plan_id)
        .where(links.c.item_id.in_(in_plan))
    )
    return {
        item_id: ServesEntry(plan=plan, item=item)
        if plan is not None
        else ServesEntry(reference=reference, title=title, source=source)
        for item_id, reference, title, source, item, plan in await conn.execute(served)
    }


async def _read_named(conn: AsyncConnection, plan_id: int, tree: _Tree) -> _Named:
    plan_groups = await rows_of(conn, select(groups).where(groups.c.plan_id == plan_id).order_by(groups.c.id), GroupRow)
    seats = (
        select(members)
        .where(members.c.group_id.in_([g["id"] for g in plan_groups]))
        .order_by(members.c.position, members.c.id)
    )
    plan_members = await rows_of(conn, seats, SeatRow)
    unit_ids = {r["unit_id"] for rows in tree.duties.values() for r in rows} | {g["unit_id"] for g in plan_groups}
    unit_ids -= {None}
    spellings = select(aliases).where(aliases.c.unit_id.in_(unit_ids)).order_by(aliases.c.unit_id, aliases.c.position)
    leader_ids = {r["leader_id"] for rows in tree.heads.values() for r in rows} | {m["leader_id"] for m in plan_members}
    named_units = await rows_of(conn, select(units).where(units.c.id.in_(unit_ids)).order_by(units.c.id), UnitRow)
    parent_ids = {u["parent_id"] for u in named_units} - {None}
    parents = select(units.c.id, units.c.name).where(units.c.id.in_(parent_ids))
    return _Named(
        groups=plan_groups,
        members=plan_members,
        units=named_units,
        parents={unit_id: name for unit_id, name in await conn.execute(parents)},
        aliases=await rows_of(conn, spellings, AliasRow),
        leaders=await rows_of(
            conn, select(leaders).where(leaders.c.id.in_(leader_ids)).order_by(leaders.c.id), LeaderRow
        ),
    )


def _entry(entry: type[EntryT], row: Mapping[str, Any]) -> EntryT:
    """The plan-file entry of the row's columns that the entry has fields for."""
    return entry.model_validate({k: v for k, v in row.items() if k in entry.model_fields})


class _Writer:
    """The plan file's entries of the rows read: units by the spellings the plan prints, leaders by name."""

    def __init__(self, tree: _Tree, named: _Named) -> None:
        self.tree, self.named = tree, named
        self.unit_name = {u["id"]: u["name"] for u in named.units}
        self.spelled_by = {name_key(a["alias"]): a["unit_id"] for a in named.aliases} | {
            name_key(n): i for i, n in self.unit_name.items()
        }
        self.leader_name = {r["id"]: r["name"] for r in named.leaders}
        self.children: defaultdict[int | None, list[ItemRow]] = defaultdict(list)
        for row in tree.items:
            self.children[row["parent_id"]].append(row)

    def plan_file(self, plan: PlanRow) -> PlanFile:
        named = self.named
        return PlanFile(
            plan=_entry(PlanHeader, plan),
            units=[self.unit(u) for u in named.units],
            leaders=[LeaderEntry(name=r["name"], title=r["title"]) for r in named.leaders],
            groups=[self.group(g) for g in named.groups],
            items=[self.item(row) for row in self.children[None]],
        )

    def unit(self, row: UnitRow) -> UnitEntry:
        spellings = [a["alias"] for a in self.named.aliases if a["unit_id"] == row["id"] and a["alias"] != row["name"]]
        parent = self.named.parents.get(row["parent_id"]) if row["parent_id"] is not None else None
        return UnitEntry(name=row["name"], kind=UnitKind(row["kind"]), aliases=spellings, parent=parent)

    def group(self, row: GroupRow) -> GroupEntry:
        return GroupEntry(
            key=row["key"],
            name=row["name"],
            kind=GroupKind(row["kind"]),
            unit=self.unit_name.get(row["unit_id"]) if row["unit_id"] is not None else None,
            members=[
                MemberEntry(leader=self.leader_name[m["leader_id"]], role=m["role"])
                for m in self.named.members
                if m["group_id"] == row["id"]
            ],
        )

    def responsible(self, row: StoredResponsibility) -> str | ResponsibleEntry:
        """The canonical form: a unit printed under one of its own spellings is given by that spelling (a plain
        string in the first group); otherwise the unit by name with the designation as printed."""
        unit_id, group = row["unit_id"], row["group"]
        if unit_id is None:
            return ResponsibleEntry(as_printed=row["printed_name"] or None, group=group)
        printed = row["printed_name"] or self.unit_name.get(unit_id)
        if printed and self.spelled_by.get(name_key(printed)) == unit_id:
            return printed if group == 1 else ResponsibleEntry(unit=printed, group=group)
        return ResponsibleEntry(unit=self.unit_name[unit_id], as_printed=printed, group=group)

    def unit_entries(self, rows: list[StoredResponsibility]) -> list[str | ResponsibleEntry]:
        """An item's units in its order. A file says by order that the first leads: where that is not so (a lead the
        office named after the others, or none yet), every entry names its role, so an import keeps each where it is."""
        entries = [self.responsible(r) for r in rows]
        by_order = [(Role.LEAD if n == 0 else Role.CO).value for n in range(len(rows))]
        if [r["role"] for r in rows] == by_order:
            return entries
        return [
            responsible_entry(entry).model_copy(update={"role": Role(r["role"])})
            for entry, r in zip(entries, rows, strict=True)
        ]

    def item(self, row: ItemRow) -> ItemEntry:
        tree, item_id = self.tree, row["id"]
        return ItemEntry(
            key=row["key"],
            kind=ItemKind(row["kind"]),
            number=row["number"],
            title=row["title"],
            text=row["text"],
            status=ItemStatus(row["status"]),
            starts_on=row["starts_on"],
            due_on=row["due_on"],
            units=self.unit_entries(tree.duties[item_id]),
            lead_leaders=[self.leader_name[r["leader_id"]] for r in tree.heads[item_id]],
            indicators=[_entry(IndicatorEntry, r) for r in tree.measures[item_id]],
            milestones=[MilestoneEntry(title=r["title"], due_on=r["due_on"]) for r in tree.steps[item_id]],
            serves=tree.serves.get(item_id),
            children=[self.item(child) for child in self.children[item_id]],
        )
