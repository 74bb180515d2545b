"""Items' parents never form a cycle, even when two items are moved under each other at the same moment: each move
checks the chain above its new parent under the item tree's writer lock (real concurrency, on either database)."""

from __future__ import annotations

import asyncio

from services.common.auth import Principal, Role
from services.common.db import Database, make_engine
from services.tasks_api.items import service
from services.tasks_api.items.schemas import ItemCreate, ItemUpdate
from services.tasks_api.plans.schemas import PlanCreate
from services.tasks_api.plans.service import create_plan
from tests.tasks_api.factories import assert_one_moved_and_one_refused

OFFICE = Principal(subject="test-office-0", role=Role.OFFICE)
ROUNDS = 12


async def _moved_under(db, barrier, item_id, parent_id):
    """Move the item under `parent_id`, once the other request is ready to move its own (released together)."""
    version = (await service.get_item(db, item_id=item_id))["version"]
    await barrier.wait()
    return await service.update_item(
        db, item_id=item_id, data=ItemUpdate(parent_id=parent_id), version=version, actor=OFFICE
    )


async def _round(db, first, second):
    barrier = asyncio.Barrier(2)
    outcomes = await asyncio.gather(
        _moved_under(db, barrier, first, second), _moved_under(db, barrier, second, first), return_exceptions=True
    )
    parents = {item_id: (await service.get_item(db, item_id=item_id))["parent_id"] for item_id in (first, second)}
    for item_id, parent_id in parents.items():  # back to two top-level items for the next round
        if parent_id is not None:
            version = (await service.get_item(db, item_id=item_id))["version"]
            await service.update_item(
                db, item_id=item_id, data=ItemUpdate(parent_id=None), version=version, actor=OFFICE
            )
    return outcomes, parents


def test_two_items_moved_under_each_other_at_once_never_form_a_cycle(tasks_client, tasks_database):
    async def run():
        db = Database(make_engine(tasks_database))
        try:
            plan = PlanCreate(key="moves", title="移动", starts_on="2020-01-01", ends_on="2022-12-31")
            plan_id = (await create_plan(db, data=plan, actor=OFFICE))["id"]
            first, second = [
                (
                    await service.create_item(
                        db, plan_id=plan_id, data=ItemCreate(key=k, kind="task", number=k, title=k), actor=OFFICE
                    )
                )["id"]
                for k in ("X", "Y")
            ]
            return [await _round(db, first, second) for _ in range(ROUNDS)]
        finally:
            await db.dispose()

    for outcomes, parents in asyncio.run(run()):
        assert_one_moved_and_one_refused(outcomes, parents)
