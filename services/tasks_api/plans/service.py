"""Plan rules: registration, edits, deletion, import and export."""

from __future__ import annotations

from sqlalchemy import select

from services.common.auth import Principal
from services.common.db import Database
from services.common.dialect import dialect_of
from services.common.problems import Unprocessable
from services.tasks_api.items.repository import items
from services.tasks_api.items.unlinking import drop_links_of
from services.tasks_api.plans.files.exporter import export_plan
from services.tasks_api.plans.files.importer import Importer
from services.tasks_api.plans.files.plan_file import PlanFile
from services.tasks_api.plans.schemas import PlanCreate, PlanUpdate
from services.tasks_api.tables import LINK_LOCK, PlanRow, plan_records


async def list_plans(db: Database, *, after_id: int | None, limit: int) -> list[PlanRow]:
    async with db.read() as conn:
        return await plan_records.page(conn, after_id=after_id, limit=limit)


async def get_plan(db: Database, *, plan_id: int) -> PlanRow:
    async with db.read() as conn:
        return await plan_records.get(conn, plan_id)


async def create_plan(db: Database, *, data: PlanCreate, actor: Principal) -> PlanRow:
    async with db.transaction() as conn:
        return await plan_records.insert(conn, data.model_dump(mode="python"), actor=actor.subject)


async def update_plan(db: Database, *, plan_id: int, data: PlanUpdate, version: int, actor: Principal) -> PlanRow:
    changes = data.model_dump(exclude_unset=True)
    async with db.transaction() as conn:
        current = await plan_records.get(conn, plan_id)
        starts_on, ends_on = changes.get("starts_on", current["starts_on"]), changes.get("ends_on", current["ends_on"])
        if starts_on and ends_on and ends_on < starts_on:
            raise Unprocessable("ends_on must not be before starts_on.", at=("body", "ends_on"))
        return await plan_records.update(conn, plan_id, changes, expected_version=version, actor=actor.subject)


async def delete_plan(db: Database, *, plan_id: int, version: int, actor: Principal) -> None:
    """Delete a plan and its items; their links to and from other plans are recorded as deleted."""
    async with db.transaction() as conn:
        await dialect_of(conn).writer_lock(conn, LINK_LOCK)  # before the links that go are read
        await plan_records.get_at(conn, plan_id, version)
        await drop_links_of(conn, select(items.c.id).where(items.c.plan_id == plan_id), actor=actor.subject)
        await plan_records.delete(conn, plan_id, expected_version=version, actor=actor.subject)


async def import_plan(db: Database, *, plan_file: PlanFile, actor: str) -> tuple[int, dict[str, int]]:
    """Create or update the plan the file describes; all of it or nothing."""
    async with db.transaction() as conn:
        return await Importer(conn, actor).run(plan_file)


async def export_plan_file(db: Database, *, plan_id: int) -> PlanFile:
    async with db.read() as conn:
        return await export_plan(conn, await plan_records.get(conn, plan_id))
