"""The item half of a plan import: the tree, then what hangs on each item."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from services.common.outbox import emit_many
from services.common.tables import table_of
from services.tasks_api.assignments.events import assigned_event
from services.tasks_api.db import outbox_events
from services.tasks_api.items.models import Item, ItemLeader, ItemStatus, Responsibility, Role
from services.tasks_api.plans.files.plan_file import ItemEntry, PlanFile
from services.tasks_api.targets.models import Indicator, Milestone
from services.tasks_api.units.models import Unit, name_key

if TYPE_CHECKING:
    from services.tasks_api.plans.files.importer import Importer

items, responsibilities, item_leaders = table_of(Item), table_of(Responsibility), table_of(ItemLeader)
indicators, milestones, units = table_of(Indicator), table_of(Milestone), table_of(Unit)

Entries = list[tuple[ItemEntry, int]]


async def import_items(
    imp: Importer, plan_file: PlanFile, plan_id: int, unit_ids: dict[str, int], leader_ids: dict[str, int]
) -> None:
    item_ids = await _tree(imp, plan_file, plan_id)
    entries = [(item, item_ids[item.key]) for item, _, _ in plan_file.walk()]
    await _responsibilities(imp, plan_id, entries, unit_ids)
    await _item_leaders(imp, entries, leader_ids)
    await _indicators(imp, entries)
    await _milestones(imp, entries)


def _item_values(entry: ItemEntry, parent_id: int | None, position: int) -> dict[str, Any]:
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


async def _tree(imp: Importer, plan_file: PlanFile, plan_id: int) -> dict[str, int]:
    """Item id by key; inserted level by level so every parent has its id before its children."""
    existing = {r["key"]: r for r in await imp.rows(select(items).where(items.c.plan_id == plan_id))}
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
                    imp.stamped(
                        {**wanted, "plan_id": plan_id, "original_due_on": entry.due_on, "status": ItemStatus.OPEN.value}
                    )
                )
                new_keys.append(entry.key)
        ids.update(zip(new_keys, await imp.insert_many(items, new_rows, "item"), strict=True))
        level = [(child, entry.key, n) for entry, _, _ in level for n, child in enumerate(entry.children)]
    return ids


async def _existing(imp: Importer, table: Any, item_ids: list[int]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for start in range(0, len(item_ids), 2000):
        chunk = item_ids[start : start + 2000]
        found += await imp.rows(select(table).where(table.c.item_id.in_(chunk)).order_by(table.c.id))
    return found


def _matcher(match: str | Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    return match if callable(match) else (lambda row: (row["item_id"], row[match]))


async def _reconcile(
    imp: Importer,
    table: Any,
    entity: str,
    entries: Entries,
    match: str | Callable[[dict[str, Any]], Any],
    wanted_rows: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Make `table` hold exactly `wanted_rows` for the given items, matched on (item_id, match) or on the key that
    `match` computes; returns the rows it created, with their ids."""
    key = _matcher(match)
    current = {key(r): r for r in await _existing(imp, table, [i for _, i in entries])}
    new = []
    for row in wanted_rows:
        before = current.pop(key(row), None)
        if before is None:
            if "original_due_on" in table.c:
                row = {**row, "original_due_on": row["due_on"]}
            new.append(imp.stamped(row) if "version" in table.c else row)
        else:
            await imp.update(table, entity, before, row)
    for gone in current.values():
        await imp.conn.execute(table.delete().where(table.c.id == gone["id"]))
        imp.log(entity, gone["id"], "delete", gone, None)
        imp.counts[f"{entity}.deleted"] += 1
    return [{**row, "id": new_id} for row, new_id in zip(new, await imp.insert_many(table, new, entity), strict=True)]


def _duty_key(row: dict[str, Any]) -> tuple[int, str, Any]:
    """A unit's duty is matched on its unit; a placeholder, which has none, on its printed phrase."""
    if row["unit_id"] is None:
        return row["item_id"], "placeholder", row["printed_name"]
    return row["item_id"], "unit", row["unit_id"]


async def _responsibilities(imp: Importer, plan_id: int, entries: Entries, unit_ids: dict[str, int]) -> None:
    rows = [
        {
            "item_id": item_id,
            "unit_id": unit_ids[name_key(duty.unit)] if duty.unit is not None else None,
            "role": (Role.LEAD if n == 0 else Role.CO).value,
            "position": n,
            "printed_name": duty.printed,
            "group": duty.group,
            "assigned_at": imp.now,
        }
        for entry, item_id in entries
        for n, duty in enumerate(entry.responsible)
    ]
    current = {_duty_key(r): r for r in await _existing(imp, responsibilities, [i for _, i in entries])}
    # Assignment time and acknowledgement belong to the existing assignment, so only role, order, printed name and
    # group are reconciled.
    for row in rows:
        if _duty_key(row) in current:
            row["assigned_at"] = current[_duty_key(row)]["assigned_at"]
    created = await _reconcile(imp, responsibilities, "responsibility", entries, _duty_key, rows)
    # A placeholder is no unit's assignment: nobody is told, nothing is expected of it until the office assigns it.
    await _emit_assigned(imp, plan_id, entries, [row for row in created if row["unit_id"] is not None])


async def _emit_assigned(imp: Importer, plan_id: int, entries: Entries, created: list[dict[str, Any]]) -> None:
    """One `item.assigned` event per new responsibility, written with the import in a few batched inserts."""
    if not created:
        return
    names = dict(
        (
            await imp.conn.execute(
                select(units.c.id, units.c.name).where(units.c.id.in_(sorted({row["unit_id"] for row in created})))
            )
        ).all()
    )
    item_of = {
        item_id: {"plan_id": plan_id, "id": item_id, "key": entry.key, "number": entry.number, "title": entry.title}
        for entry, item_id in entries
    }
    await emit_many(
        imp.conn,
        outbox_events,
        "item.assigned",
        (assigned_event(item_of[row["item_id"]], {**row, "unit_name": names[row["unit_id"]]}) for row in created),
    )


async def _item_leaders(imp: Importer, entries: Entries, leader_ids: dict[str, int]) -> None:
    wanted = [
        {"item_id": item_id, "leader_id": leader_ids[name], "position": n}
        for entry, item_id in entries
        for n, name in enumerate(entry.lead_leaders)
    ]
    await _reconcile(imp, item_leaders, "item_leader", entries, "leader_id", wanted)


async def _indicators(imp: Importer, entries: Entries) -> None:
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
    await _reconcile(imp, indicators, "indicator", entries, "key", wanted)


async def _milestones(imp: Importer, entries: Entries) -> None:
    wanted = [
        {"item_id": item_id, "title": m.title, "due_on": m.due_on}
        for entry, item_id in entries
        for m in entry.milestones
    ]
    await _reconcile(imp, milestones, "milestone", entries, "title", wanted)
