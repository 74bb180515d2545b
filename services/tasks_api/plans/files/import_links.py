"""The links half of a plan import: what the file's items serve (上级任务), another plan's item or an external task.

An item whose entry leaves `serves` out keeps the link it has (links are set through the API too, and the seed is
imported again at every `make run`); `serves: null` unlinks it. The higher-level plan must be in duban already:
a plan is imported after the plans it serves, else the import is refused (422) and nothing is written."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal, TypedDict

from sqlalchemy import or_, select

from services.common.problems import Unprocessable
from services.common.tables import table_of
from services.tasks_api.items.models import Item
from services.tasks_api.items.unlinking import first_version, link_removed
from services.tasks_api.links.service import check_target
from services.tasks_api.plans.files.import_run import ImportRun
from services.tasks_api.plans.files.plan_file import ItemEntry, PlanFile, ServesEntry
from services.tasks_api.tables import ItemLink, LinkRow, Plan

links, items, plans = table_of(ItemLink), table_of(Item), table_of(Plan)

Targets = defaultdict[tuple[int, str, str], list[int]]  # item ids by plan id, "item" or "number", and the value
Said = list[tuple[ServesEntry | None, int, tuple[Any, ...]]]  # what an entry says it serves, its item id, its place


class LinkValues(TypedDict):
    """The columns of a link a plan file sets."""

    serves_item_id: int | None
    reference: str | None
    title: str | None
    source: str | None


async def import_links(imp: ImportRun, plan_file: PlanFile, plan_id: int, item_ids: dict[str, int]) -> None:
    said: Said = [(e.serves, item_ids[e.key], loc) for e, _, loc in plan_file.walk() if _says_serves(e)]
    if not said:
        return
    # The run holds LINK_LOCK (importer.py): the API's link changes wait, so none closes a cycle with ours.
    wanted = await _resolve(imp, [(entry, loc) for entry, _, loc in said])
    stored = await _stored(imp, [item_id for _, item_id, _ in said])
    for (_, item_id, loc), values in zip(said, wanted, strict=True):
        before = stored.get(item_id)
        if values is None:
            if before is not None:
                await imp.conn.execute(links.delete().where(links.c.id == before["id"]))
                imp.log("item_link", before["id"], "delete", before, None)
                await link_removed(imp.conn, before)
                imp.counts["item_link.deleted"] += 1
        elif before is None or any(before[k] != v for k, v in _columns(values)):
            if values["serves_item_id"] is not None:  # checked one by one, each against the links written before it
                await check_target(imp.conn, item_id, plan_id, values["serves_item_id"], at=("body", *loc, "serves"))
            if before is None:  # its version continues from the item's last link, as through the API
                first = await first_version(imp.conn, item_id)
                await imp.insert_many(links, [{"item_id": item_id, **values, "version": first}], "item_link")
            else:
                await imp.update(links, "item_link", before, values)


def _columns(values: LinkValues) -> list[tuple[Literal["serves_item_id", "reference", "title", "source"], Any]]:
    return [(k, values[k]) for k in ("serves_item_id", "reference", "title", "source")]


def _says_serves(entry: ItemEntry) -> bool:
    """Whether the entry says what the item serves: `serves` given, null included (which unlinks)."""
    return "serves" in entry.model_fields_set


async def _stored(imp: ImportRun, item_ids: list[int]) -> dict[int, LinkRow]:
    found: dict[int, LinkRow] = {}
    for start in range(0, len(item_ids), 2000):
        chunk = item_ids[start : start + 2000]
        found |= {r["item_id"]: r for r in await imp.rows(select(links).where(links.c.item_id.in_(chunk)), LinkRow)}
    return found


async def _resolve(imp: ImportRun, said: list[tuple[ServesEntry | None, tuple[Any, ...]]]) -> list[LinkValues | None]:
    """Each entry's link columns (None: unlink); a plan or item that duban does not hold is 422 at its place."""
    named = [entry for entry, _ in said if entry is not None and entry.plan is not None]
    plan_ids = await _plan_ids(imp, {entry.plan for entry in named if entry.plan})
    targets = await _targets(imp, named, plan_ids)
    values: list[LinkValues | None] = []
    for entry, loc in said:
        if entry is None:
            values.append(None)
        elif entry.plan is None:
            values.append(
                LinkValues(serves_item_id=None, reference=entry.reference, title=entry.title, source=entry.source)
            )
        elif entry.plan not in plan_ids:
            raise Unprocessable(
                f"Plan {entry.plan} is not in duban: import the plans an item serves before the plans that serve them.",
                at=("body", *loc, "serves", "plan"),
            )
        else:
            target = _target_of(entry, plan_ids[entry.plan], targets, loc)
            values.append(LinkValues(serves_item_id=target, reference=None, title=None, source=None))
    return values


async def _plan_ids(imp: ImportRun, keys: set[str]) -> dict[str, int]:
    if not keys:
        return {}
    return {
        key: plan_id
        for plan_id, key in await imp.conn.execute(select(plans.c.id, plans.c.key).where(plans.c.key.in_(keys)))
    }


async def _targets(imp: ImportRun, named: list[ServesEntry], plan_ids: dict[str, int]) -> Targets:
    """The items of the higher-level plans that the entries name by key or by number (one query), by what names
    them: (plan id, "item", key) and (plan id, "number", number)."""
    keys = {entry.item for entry in named if entry.item is not None}
    numbers = {entry.number for entry in named if entry.number is not None}
    found: Targets = defaultdict(list)
    if not plan_ids or not (keys or numbers):
        return found
    c = items.c
    query = select(c.id, c.plan_id, c.key, c.number).where(
        c.plan_id.in_(plan_ids.values()), or_(c.key.in_(keys), c.number.in_(numbers))
    )
    for row in await imp.conn.execute(query):
        found[row.plan_id, "item", row.key].append(row.id)
        found[row.plan_id, "number", row.number].append(row.id)
    return found


def _target_of(entry: ServesEntry, plan_id: int, targets: Targets, loc: tuple[Any, ...]) -> int:
    """The one item of the plan the entry names; none, or (by number) more than one, is 422 at its place."""
    field, wanted = ("item", entry.item) if entry.item is not None else ("number", entry.number)
    found = targets.get((plan_id, field, wanted or ""), [])
    if len(found) == 1:
        return found[0]
    named = f"{'key' if field == 'item' else 'number'} {wanted}"
    raise Unprocessable(
        f"Plan {entry.plan} has no item with {named}."
        if not found
        else f"Plan {entry.plan} has {len(found)} items with {named}: name the item by its key.",
        at=("body", *loc, "serves", field),
    )
