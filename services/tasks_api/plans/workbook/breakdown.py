"""The breakdown workbook and a plan: download it, and apply an edited one through the plan file.

Applying exports the plan to a plan file, applies the rows onto it, validates it and runs the idempotent
importer, in one transaction, so only what was edited changes and every change has its history. The rows
of an item listed on sheet 事项 say everything about it: its units, indicators and milestones become
exactly those on the other sheets. Items not listed stay as they are; no item is ever deleted.

An upload applies only onto the version of the item tree it was exported from (breakdown_diff.fingerprint), and
removes a responsibility, indicator or milestone only when the caller confirms it; a dry run answers with the diff.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import Database
from services.common.dialect import dialect_of
from services.common.problems import Conflict, PreconditionFailed, PreconditionRequired
from services.tasks_api.items.models import Role
from services.tasks_api.plans.files.exporter import aliases, export_plan, units
from services.tasks_api.plans.files.importer import Importer
from services.tasks_api.plans.files.plan_file import PlanFile, UnitEntry, responsible_entry
from services.tasks_api.plans.files.validation import PlanFileError, validate_plan_data
from services.tasks_api.plans.service import export_plan_file
from services.tasks_api.plans.workbook.breakdown_diff import BreakdownResult, Removal, diff_plans, fingerprint
from services.tasks_api.plans.workbook.reading import Parsed, Row, located_error, read_workbook, unprocessable
from services.tasks_api.plans.workbook.tree import EntryPart, ItemTree
from services.tasks_api.plans.workbook.workbook import (
    DUTIES,
    INDICATORS,
    ITEMS,
    MAX_REPORTED,
    MILESTONES,
    carried_fields,
    write_workbook,
)
from services.tasks_api.tables import plan_records
from services.tasks_api.units.models import name_key


@dataclass(frozen=True)
class Upload:
    """How to apply an uploaded workbook: against which version, whether to write, whether removals may happen."""

    if_match: str | None = None
    dry_run: bool = False
    confirm_removals: bool = False


async def breakdown_workbook(db: Database, *, plan_id: int) -> tuple[str, str, SpooledTemporaryFile[bytes]]:
    """The plan's key, the breakdown's version and its workbook, as a file positioned at its start."""
    plan_file = await export_plan_file(db, plan_id=plan_id)
    version = fingerprint(plan_file)
    return plan_file.plan.key, version, await asyncio.to_thread(write_workbook, plan_file, version)


async def apply_breakdown(db: Database, *, plan_id: int, content: bytes, actor: str, upload: Upload) -> BreakdownResult:
    """Apply an edited workbook to the plan: every row, or (if any row is invalid) nothing; only onto the version
    it was exported from; removing only when told to. A dry run reads and writes nothing."""
    parsed = await asyncio.to_thread(read_workbook, content)
    with _stale_on_serialization_failure():  # outside the transaction: PostgreSQL may refuse only at commit
        async with db.read() if upload.dry_run else db.transaction() as conn:
            if not upload.dry_run:
                await _hold_the_plan(conn)
            current = await export_plan(conn, await plan_records.get(conn, plan_id))
            version = fingerprint(current)
            check_version(version, parsed.version, upload.if_match)
            wanted = apply_rows(current, parsed, await _units_spelled(conn, _unresolved(current, parsed)))
            diff = diff_plans(current, wanted)
            if upload.dry_run:
                return BreakdownResult(plan_id=plan_id, counts={}, dry_run=True, version=version, diff=diff)
            if not upload.confirm_removals and (removals := diff.removals()):
                raise _removals_refused(removals)
            _, counts = await Importer(conn, actor).run(wanted)
            if counts:  # the version the plan now has, as the next download will say
                version = fingerprint(await export_plan(conn, await plan_records.get(conn, plan_id)))
            return BreakdownResult(plan_id=plan_id, counts=counts, dry_run=False, version=version, diff=diff)


def check_version(current: str, exported: str | None, if_match: str | None) -> None:
    """412 unless the workbook's version and If-Match (each where given) name the current version; 428 when neither
    is given (a hand-made workbook): an old workbook would otherwise undo every change made since."""
    if exported is None and if_match is None:
        raise PreconditionRequired(
            "The workbook does not say which version of the plan it was exported from: "
            "download the breakdown again and edit that, or send If-Match with the ETag of "
            "the breakdown you started from."
        )
    tags = [tag.strip() for tag in (if_match or "").split(",")]
    if (exported is not None and exported != current) or (if_match is not None and not {"*", etag(current)} & {*tags}):
        raise PreconditionFailed(
            "The plan changed since this workbook was exported; nothing was changed. Download "
            "the breakdown again and make the edits on that.",
            headers={"ETag": etag(current)},
        )


def etag(version: str) -> str:
    return f'"{version}"'


def _removals_refused(removals: list[Removal]) -> Conflict:
    listed = [
        {"location": r.location, "message": f"{r.words} would be removed", "type": "removal", "line": None}
        for r in removals[:MAX_REPORTED]
    ]
    return Conflict(
        f"The workbook removes {len(removals)} record(s), the first: {removals[0].words}; nothing was "
        "changed. Send confirm_removals=true to remove them (dry_run=true shows the whole diff).",
        errors=listed,
    )


async def _hold_the_plan(conn: AsyncConnection) -> None:
    """Make the reads and writes of the upload one unit, so that no change made meanwhile is undone by it.

    PostgreSQL: the transaction reads one snapshot (REPEATABLE READ) and fails on writing a row changed since, which
    _stale_on_serialization_failure answers with 412. SQLite: the database's write lock, taken before anything is
    read."""
    await dialect_of(conn).isolate(conn)


# A serialization failure, or a key that the transaction's snapshot did not hold and yet is taken (every key the
# upload writes is unique only within the plan): both mean someone else changed the plan meanwhile.
_CONCURRENT_CHANGE_SQLSTATES = ("40001", "23505")


@contextmanager
def _stale_on_serialization_failure() -> Iterator[None]:
    try:
        yield
    except DBAPIError as exc:
        if str(getattr(exc.orig, "sqlstate", "")) in _CONCURRENT_CHANGE_SQLSTATES:
            raise PreconditionFailed(
                "The plan changed while this workbook was applied; nothing was changed. Download the breakdown again."
            ) from exc
        raise


def _spellings(entries: list[UnitEntry]) -> dict[str, str]:
    return {name_key(spelling): unit.name for unit in entries for spelling in (unit.name, *unit.aliases)}


def _unresolved(plan_file: PlanFile, parsed: Parsed) -> set[str]:
    """Unit spellings on 责任分工 that the plan file does not know (units this plan has not used yet)."""
    return {name_key(row.fields["unit"]) for row in parsed.rows[DUTIES]} - _spellings(plan_file.units).keys()


async def _units_spelled(conn: AsyncConnection, keys: set[str]) -> list[UnitEntry]:
    """The database's units that one of these spellings (name_key form) names, as plan-file entries."""
    if not keys:
        return []
    ids = select(aliases.c.unit_id).where(aliases.c.key.in_(keys))
    found = (await conn.execute(select(units.c.id, units.c.name, units.c.kind).where(units.c.id.in_(ids)))).all()
    spellings = (
        await conn.execute(
            select(aliases.c.unit_id, aliases.c.alias).where(aliases.c.unit_id.in_(ids)).order_by(aliases.c.position)
        )
    ).all()
    return [
        UnitEntry(name=name, kind=kind, aliases=[a for owner, a in spellings if owner == unit_id and a != name])
        for unit_id, name, kind in found
    ]


def apply_rows(plan_file: PlanFile, parsed: Parsed, more_units: list[UnitEntry]) -> PlanFile:
    """The plan file with the workbook's rows applied; Unprocessable lists every row that cannot be."""
    data = plan_file.model_dump(mode="python")
    data["units"] += [unit.model_dump(mode="python") for unit in more_units]
    tree = ItemTree(data["items"])
    listed = _apply_items(tree, parsed)
    for key in listed:
        tree.nodes[key]["units"] = []
    _apply_duties(tree, parsed, listed, _spellings([*plan_file.units, *more_units]))
    _keep_printed(tree, listed, plan_file, _spellings([*plan_file.units, *more_units]))
    _apply_entries(tree, parsed, listed, INDICATORS, "indicators", ("key", "指标编号"))
    _apply_entries(tree, parsed, listed, MILESTONES, "milestones", ("title", "节点名称"))
    if parsed.errors:
        raise unprocessable(parsed.errors)
    try:
        return validate_plan_data(data)
    except PlanFileError as exc:  # the rows are checked one by one above; this is what only the whole shows
        raise unprocessable([located_error(["(plan)", e["location"]], e["message"]) for e in exc.errors]) from exc


def _keep_printed(tree: ItemTree, listed: dict[str, Row], plan_file: PlanFile, spellings: dict[str, str]) -> None:
    """The workbook does not carry a responsibility's printed designation, group or collective placeholders yet: a
    unit it still lists keeps the plan file's printed form and group, and the file's placeholders keep their place."""
    before = {item.key: item.units for item, _, _ in plan_file.walk()}
    for key in listed:
        old = before.get(key, [])
        printed = {
            spellings.get(name_key(duty.unit)): raw for raw in old if (duty := responsible_entry(raw)).unit is not None
        }
        units: list[Any] = [printed.get(name, name) for name in tree.nodes[key]["units"]]
        for n, raw in enumerate(old):
            if responsible_entry(raw).unit is None:
                units.insert(min(n, len(units)), raw)
        tree.nodes[key]["units"] = units


def _apply_items(tree: ItemTree, parsed: Parsed) -> dict[str, Row]:
    """Update listed items, add new ones, then move those whose parent changed (new ones go last)."""
    listed: dict[str, Row] = {}
    for row in parsed.rows[ITEMS]:
        key = row.fields["key"]
        if key in listed:
            parsed.error(ITEMS, row.number, "编号", f"item {key} is already on row {listed[key].number}")
            continue
        listed[key] = row
        values = row.entry.model_dump(mode="python")
        if key in tree.nodes:  # the carried fields are named at run time: updated as the dict the node is
            cast(dict[str, Any], tree.nodes[key]).update({name: values[name] for name in carried_fields(ITEMS)})
        else:
            tree.nodes[key] = values
    for key, row in listed.items():
        parent = row.fields.get("parent")
        if parent is not None and parent not in tree.nodes:
            if parent not in parsed.item_keys:  # else its own row is invalid and already reported
                parsed.error(ITEMS, row.number, "上级编号", f"there is no item {parent}")
        elif key not in tree.parent or tree.parent[key] != parent:
            if parent is not None and tree.within(parent, key):
                parsed.error(ITEMS, row.number, "上级编号", f"item {parent} lies within {key}: a loop")
            else:
                tree.place(key, parent)
    return listed


def _listed_item(tree: ItemTree, parsed: Parsed, sheet: str, row: Row, listed: dict[str, Row]) -> str | None:
    """The row's item, if it is listed on 事项; a reference to an item not listed there is an error."""
    key = row.fields["item"]
    if key not in parsed.item_keys:
        reason = "is not listed on sheet 事项" if key in tree.nodes else "does not exist"
        parsed.error(sheet, row.number, "事项编号", f"item {key} {reason}")
    return key if key in listed else None


def _apply_duties(tree: ItemTree, parsed: Parsed, listed: dict[str, Row], spellings: dict[str, str]) -> None:
    """Each item's units in order: the one lead (牵头) first, then by 顺序 and row."""
    by_item: dict[str, list[tuple[bool, int, int, str]]] = defaultdict(list)
    unsure = set(parsed.items_of_invalid_rows)  # their lead cannot be counted
    for row in parsed.rows[DUTIES]:
        key = _listed_item(tree, parsed, DUTIES, row, listed)
        unit = spellings.get(name_key(row.fields["unit"]))
        if unit is None:
            parsed.error(DUTIES, row.number, "责任单位", f"unknown unit {row.fields['unit']!r}")
            unsure.add(row.fields["item"])
        elif key is not None and any(unit == u for *_, u in by_item[key]):
            parsed.error(DUTIES, row.number, "责任单位", f"unit {unit} is listed twice for item {key}")
        elif key is not None:
            by_item[key].append((row.fields["role"] != Role.LEAD, row.fields.get("order", 1 << 30), row.number, unit))
    for key, duties in by_item.items():
        leads = [number for is_co, _, number, _ in duties if not is_co]
        if len(leads) != 1 and key not in unsure:
            where = leads[1] if leads else min(number for _, _, number, _ in duties)
            parsed.error(DUTIES, where, "角色", f"item {key} needs exactly one 牵头 unit, it has {len(leads)}")
        tree.nodes[key]["units"] = [unit for *_, unit in sorted(duties)]


def _apply_entries(
    tree: ItemTree, parsed: Parsed, listed: dict[str, Row], sheet: str, part: EntryPart, identity: tuple[str, str]
) -> None:
    """Indicators or milestones: each identified within its item by a field (key or title) and its column; one
    that was there keeps the fields the sheet does not carry."""
    field, header = identity
    before = {(key, entry[field]): entry for key in listed for entry in tree.nodes[key][part]}
    for listed_key in listed:
        tree.nodes[listed_key][part] = []
    carried = carried_fields(sheet)
    seen: dict[tuple[str, str], int] = {}
    for row in parsed.rows[sheet]:
        key = _listed_item(tree, parsed, sheet, row, listed)
        if key is None:
            continue
        ident = (key, getattr(row.entry, field))
        if ident in seen:
            parsed.error(sheet, row.number, header, f"{ident[1]} of item {key} is already on row {seen[ident]}")
            continue
        seen[ident] = row.number
        values = row.entry.model_dump(mode="python")
        tree.nodes[key][part].append({**before.get(ident, values), **{name: values[name] for name in carried}})
