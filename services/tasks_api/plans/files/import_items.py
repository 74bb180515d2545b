"""The item half of a plan import: the tree, then what hangs on each item."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from datetime import date, datetime
from typing import Any, TypedDict, TypeVar

from sqlalchemy import Table, select

from services.common.outbox import emit_many
from services.common.records import ReadT
from services.common.tables import table_of
from services.tasks_api.assignments.events import AssignedDuty, assigned_event
from services.tasks_api.db import outbox_events
from services.tasks_api.items.models import Item, ItemLeader, ItemStatus, Responsibility, Role
from services.tasks_api.items.repository import ItemLeaderLink, ItemRef, ItemRow, StoredResponsibility
from services.tasks_api.plans.files.import_run import ImportRun
from services.tasks_api.plans.files.plan_file import ItemEntry, PlanFile, ResponsibleEntry
from services.tasks_api.tables import Unit
from services.tasks_api.targets.models import Indicator, Milestone
from services.tasks_api.targets.repository import IndicatorRow, MilestoneRow
from services.tasks_api.units.models import name_key

items, responsibilities, item_leaders = table_of(Item), table_of(Responsibility), table_of(ItemLeader)
indicators, milestones, units = table_of(Indicator), table_of(Milestone), table_of(Unit)

Entries = list[tuple[ItemEntry, int]]
# What a row is matched on within its items: a column of the table beside item_id, or a key computed of the row.
Match = str | Callable[[Mapping[str, Any]], Hashable]
WantedT = TypeVar("WantedT", bound=Mapping[str, Any])


class ItemValues(TypedDict):
    """The columns of an item a plan file sets: its text, dates and place in the tree."""

    key: str
    kind: str
    number: str
    title: str
    text: str
    starts_on: date | None
    due_on: date | None
    parent_id: int | None
    position: int


class DutyValues(TypedDict):
    """The columns of a responsibility a plan file sets, with the time it was assigned (kept once assigned)."""

    item_id: int
    unit_id: int | None
    role: str
    position: int
    printed_name: str | None
    group: int
    assigned_at: datetime


async def import_items(
    imp: ImportRun, plan_file: PlanFile, plan_id: int, unit_ids: dict[str, int], leader_ids: dict[str, int]
) -> dict[str, int]:
    """Item id by key, once the items and what hangs on them are as the file says."""
    item_ids = await _tree(imp, plan_file, plan_id)
    entries = [(item, item_ids[item.key]) for item, _, _ in plan_file.walk()]
    await _responsibilities(imp, plan_id, entries, unit_ids)
    await _item_leaders(imp, entries, leader_ids)
    await _indicators(imp, entries)
    await _milestones(imp, entries)
    return item_ids


def _item_values(entry: ItemEntry, parent_id: int | None, position: int) -> ItemValues:
    return {
        "key": entry.key,
        "kind": entry.kind.value,
        "number": entry.number,
        "title": entry.title,
        "text": entry.text,
        "starts_on": entry.starts_on,
        "due_on": entry.due_on,
        "parent_id": parent_id,
        "position": position,
    }


async def _tree(imp: ImportRun, plan_file: PlanFile, plan_id: int) -> dict[str, int]:
    """Item id by key; inserted level by level so every parent has its id before its children."""
    existing = {r["key"]: r for r in await imp.rows(select(items).where(items.c.plan_id == plan_id), ItemRow)}
    ids = {key: row["id"] for key, row in existing.items()}
    level: list[tuple[ItemEntry, str | None, int]] = [(e, None, n) for n, e in enumerate(plan_file.items)]
    while level:
        new_rows, new_keys = [], []
        for entry, parent_key, position in level:
            wanted = _item_values(entry, ids[parent_key] if parent_key else None, position)
            if entry.key in existing:
                await imp.update(items, "item", existing[entry.key], wanted)
            else:
                # An import never changes an item's status (close-out is 办结销号); a new item starts open.
                new_rows.append(
                    {**wanted, "plan_id": plan_id, "original_due_on": entry.due_on, "status": ItemStatus.OPEN.value}
                )
                new_keys.append(entry.key)
        ids.update(zip(new_keys, await imp.insert_many(items, new_rows, "item"), strict=True))
        level = [(child, entry.key, n) for entry, _, _ in level for n, child in enumerate(entry.children)]
    return ids


async def _existing(imp: ImportRun, table: Table, row: type[ReadT], item_ids: list[int]) -> list[ReadT]:
    found: list[ReadT] = []
    for start in range(0, len(item_ids), 2000):
        chunk = item_ids[start : start + 2000]
        found += await imp.rows(select(table).where(table.c.item_id.in_(chunk)).order_by(table.c.id), row)
    return found


def _matcher(match: Match) -> Callable[[Mapping[str, Any]], Hashable]:
    return match if callable(match) else (lambda row: (row["item_id"], row[match]))


async def _reconcile(
    imp: ImportRun,
    table: Table,
    stored: list[ReadT],
    entity: str,
    match: Match,
    wanted_rows: list[WantedT],
) -> list[tuple[WantedT, int]]:
    """Make `table` hold exactly `wanted_rows` where it holds `stored` (the rows of the items imported), matched on
    (item_id, match) or on the key that `match` computes; returns the wanted rows it created, with their ids."""
    key = _matcher(match)
    current = {key(r): r for r in stored}
    new = []
    for row in wanted_rows:
        before = current.pop(key(row), None)
        if before is None:
            new.append(row)
        else:
            await imp.update(table, entity, before, row)
    for gone in current.values():
        await imp.conn.execute(table.delete().where(table.c.id == gone["id"]))
        imp.log(entity, gone["id"], "delete", gone, None)
        imp.counts[f"{entity}.deleted"] += 1
    # A new milestone's original due date is the one it is created with.
    values = [{**row, "original_due_on": row["due_on"]} if "original_due_on" in table.c else row for row in new]
    return list(zip(new, await imp.insert_many(table, values, entity), strict=True))


def _duty_key(row: Mapping[str, Any]) -> tuple[int, str, Any]:
    """A unit's duty is matched on its unit; a placeholder, which has none, on its printed phrase."""
    if row["unit_id"] is None:
        return row["item_id"], "placeholder", row["printed_name"]
    return row["item_id"], "unit", row["unit_id"]


async def _responsibilities(imp: ImportRun, plan_id: int, entries: Entries, unit_ids: dict[str, int]) -> None:
    rows = [
        DutyValues(
            item_id=item_id,
            unit_id=unit_ids[name_key(duty.unit)] if duty.unit is not None else None,
            role=role.value,
            position=n,
            printed_name=duty.printed,
            group=duty.group,
            assigned_at=imp.now,
        )
        for entry, item_id in entries
        for n, (duty, role) in enumerate(_roles(entry.responsible))
    ]
    stored = await _existing(imp, responsibilities, StoredResponsibility, [i for _, i in entries])
    _keep_positions(rows, stored)
    await _keep_unprinted(imp, rows, stored)
    current = {_duty_key(r): r for r in stored}
    # Assignment time and acknowledgement belong to the existing assignment, so only role, order, printed name and
    # group are reconciled.
    for row in rows:
        if _duty_key(row) in current:
            row["assigned_at"] = current[_duty_key(row)]["assigned_at"]
    created = await _reconcile(imp, responsibilities, stored, "responsibility", _duty_key, rows)
    # A placeholder is no unit's assignment: nobody is told, nothing is expected of it until the office assigns it.
    await _emit_assigned(imp, plan_id, [(row, new_id) for row, new_id in created if row["unit_id"] is not None])


def _roles(duties: list[ResponsibleEntry]) -> list[tuple[ResponsibleEntry, Role]]:
    """Each duty with its role: as the file names them, or (named on none) the first leads."""
    if any(duty.role is not None for duty in duties):
        return [(duty, duty.role or Role.CO) for duty in duties]
    return [(duty, Role.LEAD if n == 0 else Role.CO) for n, duty in enumerate(duties)]


def _keep_positions(rows: list[DutyValues], stored: list[StoredResponsibility]) -> None:
    """An item whose units the file lists as they are stored, in their order, keeps their positions: the order is the
    file's to say, not the numbers (the API leaves gaps, a unit removed; re-importing an export changed nothing)."""
    kept: dict[int, list[StoredResponsibility]] = defaultdict(list)
    for row in sorted(stored, key=lambda r: (r["position"], r["id"])):
        kept[row["item_id"]].append(row)
    listed: dict[int, list[DutyValues]] = defaultdict(list)
    for wanted in rows:
        listed[wanted["item_id"]].append(wanted)
    for item_id, wanted_rows in listed.items():
        before = kept.get(item_id, [])
        if list(map(_duty_key, wanted_rows)) == list(map(_duty_key, before)):
            for wanted, row in zip(wanted_rows, before, strict=True):
                wanted["position"] = row["position"]


async def _keep_unprinted(imp: ImportRun, rows: list[DutyValues], stored: list[StoredResponsibility]) -> None:
    """A unit the office assigned through the API has no printed designation: printed as its name (as an export
    writes it), it is still none, so re-importing an export is no change."""
    unprinted = {_duty_key(r): r["unit_id"] for r in stored if r["printed_name"] is None and r["unit_id"] is not None}
    if not unprinted:
        return
    names = dict((await imp.conn.execute(select(units.c.id, units.c.name))).all())  # a few thousand at most
    for row in rows:
        if (unit_id := unprinted.get(_duty_key(row))) is not None and row["printed_name"] == names[unit_id]:
            row["printed_name"] = None


async def _emit_assigned(imp: ImportRun, plan_id: int, created: list[tuple[DutyValues, int]]) -> None:
    """One `item.assigned` event per new responsibility, written with the import in a few batched inserts."""
    if not created:
        return
    assigned = sorted({row["unit_id"] for row, _ in created if row["unit_id"] is not None})
    names = dict((await imp.conn.execute(select(units.c.id, units.c.name).where(units.c.id.in_(assigned)))).all())
    # The items as this import left them (due date and status included), read back by plan: no list of ids to bind.
    c = items.c
    refs = select(c.id, c.key, c.number, c.title, c.due_on, c.status).where(c.plan_id == plan_id)
    item_of = {
        row.id: ItemRef(
            plan_id=plan_id,
            id=row.id,
            key=row.key,
            number=row.number,
            title=row.title,
            due_on=row.due_on,
            status=row.status,
        )
        for row in await imp.conn.execute(refs)
    }
    await emit_many(
        imp.conn,
        outbox_events,
        "item.assigned",
        (
            assigned_event(
                item_of[row["item_id"]],
                AssignedDuty(
                    id=new_id,
                    unit_id=row["unit_id"],
                    unit_name=names[row["unit_id"]],
                    role=row["role"],
                    assigned_at=row["assigned_at"],
                ),
            )
            for row, new_id in created
        ),
    )


async def _item_leaders(imp: ImportRun, entries: Entries, leader_ids: dict[str, int]) -> None:
    wanted = [
        {"item_id": item_id, "leader_id": leader_ids[name], "position": n}
        for entry, item_id in entries
        for n, name in enumerate(entry.lead_leaders)
    ]
    stored = await _existing(imp, item_leaders, ItemLeaderLink, [i for _, i in entries])
    await _reconcile(imp, item_leaders, stored, "item_leader", "leader_id", wanted)


async def _indicators(imp: ImportRun, entries: Entries) -> None:
    wanted = [
        {
            "item_id": item_id,
            **indicator.model_dump(mode="python"),
            "comparison": indicator.comparison.value,
            "yearly_targets": {str(y): v for y, v in indicator.yearly_targets.items()}
            if indicator.yearly_targets
            else None,
        }
        for entry, item_id in entries
        for indicator in entry.indicators
    ]
    stored = await _existing(imp, indicators, IndicatorRow, [i for _, i in entries])
    await _reconcile(imp, indicators, stored, "indicator", "key", wanted)


async def _milestones(imp: ImportRun, entries: Entries) -> None:
    wanted = [
        {"item_id": item_id, "title": m.title, "due_on": m.due_on}
        for entry, item_id in entries
        for m in entry.milestones
    ]
    stored = await _existing(imp, milestones, MilestoneRow, [i for _, i in entries])
    await _reconcile(imp, milestones, stored, "milestone", "title", wanted)
