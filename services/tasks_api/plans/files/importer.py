"""Import a plan file into the database: idempotent, in one transaction, in bulk.

Records are matched by their stable keys (plan key, unit spelling, leader name, group key, item
key, indicator key, milestone title): importing the same file twice changes nothing, and an
edited file changes only what was edited. Rows are read per table in one query and written in
batches, so a plan of 100,000 items imports in a few round trips per table, not per row.
"""

from __future__ import annotations

from sqlalchemy import select

from services.common.dialect import dialect_of
from services.common.problems import Unprocessable
from services.common.tables import table_of
from services.tasks_api.people.models import Group, GroupMember
from services.tasks_api.people.repository import GroupRow, LeaderRow
from services.tasks_api.plans.files.import_items import import_items
from services.tasks_api.plans.files.import_links import import_links
from services.tasks_api.plans.files.import_run import ImportRun
from services.tasks_api.plans.files.plan_file import PlanFile
from services.tasks_api.tables import LINK_LOCK, UNIT_TREE_LOCK, Leader, Plan, PlanRow, Unit
from services.tasks_api.units.models import UnitAlias, name_key
from services.tasks_api.units.repository import AliasRow, UnitRow, under_itself

plans, units, aliases, leaders = table_of(Plan), table_of(Unit), table_of(UnitAlias), table_of(Leader)
groups, members = table_of(Group), table_of(GroupMember)


def _at(n: int) -> tuple[str | int, ...]:
    return ("body", "units", n, "parent")


class Importer(ImportRun):
    """One import run: reconciles the database with a plan file and counts what it did."""

    async def run(self, plan_file: PlanFile) -> tuple[int, dict[str, int]]:
        # The links' lock before any row is locked, as an item's delete takes it: taken after the items, an import and
        # a delete could each hold what the other waits for. The API's link changes wait: none closes a cycle with ours.
        await dialect_of(self.conn).writer_lock(self.conn, LINK_LOCK)
        unit_ids = await self._units(plan_file)
        leader_ids = await self._leaders(plan_file, unit_ids)
        plan_id = await self._plan(plan_file)
        await self._groups(plan_file, plan_id, unit_ids, leader_ids)
        item_ids = await import_items(self, plan_file, plan_id, unit_ids, leader_ids)
        await import_links(self, plan_file, plan_id, item_ids)
        await self._flush_history()
        return plan_id, dict(sorted(self.counts.items()))

    # -- units, leaders, plan, groups ------------------------------------------------------------

    async def _units(self, plan_file: PlanFile) -> dict[str, int]:
        """Unit id by the name_key of every spelling in the file."""
        if any(u.parent is not None for u in plan_file.units):
            # Before any unit row is written, as deleting a unit and delegating take it: a lock taken after rows others
            # wait on would deadlock with them (the unit tree's writers take this lock first, then rows).
            await dialect_of(self.conn).writer_lock(self.conn, UNIT_TREE_LOCK)
        keys = {name_key(s) for u in plan_file.units for s in (u.name, *u.aliases)}
        stored = await self.rows(select(aliases).where(aliases.c.key.in_(keys)), AliasRow)
        known = {r["key"]: r["unit_id"] for r in stored}
        stored_spellings = {r["alias"] for r in stored}
        found = select(units).where(units.c.id.in_(set(known.values())))
        existing = {r["id"]: r for r in await self.rows(found, UnitRow)}
        ids: dict[str, int] = {}
        new_entries = []
        for entry in plan_file.units:
            spellings = [entry.name, *entry.aliases]
            unit_id = next((known[name_key(s)] for s in spellings if name_key(s) in known), None)
            if unit_id is None:
                new_entries.append(entry)
                continue
            await self.update(units, "unit", existing[unit_id], {"name": entry.name, "kind": entry.kind.value})
            ids.update({name_key(s): unit_id for s in spellings})
        new_ids = await self.insert_many(units, [{"name": e.name, "kind": e.kind.value} for e in new_entries], "unit")
        for entry, unit_id in zip(new_entries, new_ids, strict=True):
            ids.update({name_key(s): unit_id for s in (entry.name, *entry.aliases)})
        missing = [
            {"key": name_key(s), "alias": s, "unit_id": ids[name_key(e.name)], "position": n}
            for e in plan_file.units
            for n, s in enumerate(dict.fromkeys((e.name, *e.aliases)))
            if s not in stored_spellings
        ]
        if missing:
            await self.conn.execute(aliases.insert(), missing)
        await self._parents(plan_file, ids)
        return ids

    async def _parents(self, plan_file: PlanFile, ids: dict[str, int]) -> None:
        """The parents (上级单位) the file gives: each a unit of the file or one known, and never a cycle (422)."""
        given = [(n, entry, entry.parent) for n, entry in enumerate(plan_file.units) if entry.parent is not None]
        if not given:
            return
        keys = {name_key(parent) for *_, parent in given} - ids.keys()
        known = await self.rows(select(aliases).where(aliases.c.key.in_(keys)), AliasRow)
        ids = {**{r["key"]: r["unit_id"] for r in known}, **ids}
        unit_ids = {n: ids[name_key(entry.name)] for n, entry, _ in given}
        stored = {r["id"]: r for r in await self.rows(select(units).where(units.c.id.in_(unit_ids.values())), UnitRow)}
        for n, _, parent in given:
            if (parent_id := ids.get(name_key(parent))) is None:
                raise Unprocessable(f"Unit {parent} is neither a unit of the file nor a known one.", at=_at(n))
            await self.update(units, "unit", stored[unit_ids[n]], {"parent_id": parent_id})
        for n, entry, _ in given:
            if await under_itself(self.conn, unit_ids[n]):
                raise Unprocessable(f"Unit {entry.name} would be under itself: units may not form a cycle.", at=_at(n))

    async def _leaders(self, plan_file: PlanFile, unit_ids: dict[str, int]) -> dict[str, int]:
        names = [entry.name for entry in plan_file.leaders]
        existing = {r["name"]: r for r in await self.rows(select(leaders).where(leaders.c.name.in_(names)), LeaderRow)}
        new = [entry for entry in plan_file.leaders if entry.name not in existing]
        for entry in plan_file.leaders:
            if entry.name in existing:
                await self.update(leaders, "leader", existing[entry.name], {"title": entry.title})
        ids = {name: row["id"] for name, row in existing.items()}
        new_rows = [{"name": e.name, "title": e.title, "unit_id": None} for e in new]
        ids.update(zip([e.name for e in new], await self.insert_many(leaders, new_rows, "leader"), strict=True))
        return ids

    async def _plan(self, plan_file: PlanFile) -> int:
        wanted = plan_file.plan.model_dump()
        wanted["status"] = plan_file.plan.status.value
        stored = await self.rows(select(plans).where(plans.c.key == wanted["key"]), PlanRow)
        if not stored:
            return (await self.insert_many(plans, [wanted], "plan"))[0]
        await self.update(plans, "plan", stored[0], wanted)
        return stored[0]["id"]

    async def _groups(
        self, plan_file: PlanFile, plan_id: int, unit_ids: dict[str, int], leader_ids: dict[str, int]
    ) -> None:
        existing = {r["key"]: r for r in await self.rows(select(groups).where(groups.c.plan_id == plan_id), GroupRow)}
        for entry in plan_file.groups:
            wanted = {
                "key": entry.key,
                "name": entry.name,
                "kind": entry.kind.value,
                "unit_id": unit_ids[name_key(entry.unit)] if entry.unit else None,
            }
            if entry.key in existing:
                group_id = existing[entry.key]["id"]
                await self.update(groups, "group", existing[entry.key], wanted)
            else:
                group_id = (await self.insert_many(groups, [{**wanted, "plan_id": plan_id}], "group"))[0]
            desired = [(leader_ids[m.leader], m.role) for m in entry.members]
            seated = select(members.c.leader_id, members.c.role).where(members.c.group_id == group_id)
            current = [
                (leader_id, role)
                for leader_id, role in await self.conn.execute(seated.order_by(members.c.position, members.c.id))
            ]
            if current != desired:
                await self.conn.execute(members.delete().where(members.c.group_id == group_id))
                if desired:
                    await self.conn.execute(
                        members.insert(),
                        [
                            {"group_id": group_id, "leader_id": lid, "role": role, "position": n}
                            for n, (lid, role) in enumerate(desired)
                        ],
                    )
                self.log("group", group_id, "update", {"members": current}, {"members": desired})
                self.counts["group_member.set"] += len(desired)
