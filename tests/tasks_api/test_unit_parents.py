"""Units' parents (上级单位) never form a cycle, even when two are set at the same moment: each change of a parent
checks the chain above it under the unit tree's writer lock (real concurrency, on either database)."""

from __future__ import annotations

import asyncio

from services.common.auth import Principal, Role
from services.common.db import Database, make_engine
from services.tasks_api.units import service
from services.tasks_api.units.schemas import UnitCreate, UnitUpdate
from tests.tasks_api.factories import assert_one_moved_and_one_refused

OFFICE = Principal(subject="test-office-0", role=Role.OFFICE)
ROUNDS = 12


async def _moved_under(db, barrier, unit_id, parent_id):
    """Set the unit's parent, once the other request is ready to set its own (the two are released together)."""
    version = (await service.get_unit(db, unit_id=unit_id))["version"]
    await barrier.wait()
    data = UnitUpdate(parent_id=parent_id)
    return await service.update_unit(db, unit_id=unit_id, data=data, version=version, actor=OFFICE)


async def _round(db, first, second):
    barrier = asyncio.Barrier(2)
    outcomes = await asyncio.gather(
        _moved_under(db, barrier, first, second), _moved_under(db, barrier, second, first), return_exceptions=True
    )
    parents = {unit_id: (await service.get_unit(db, unit_id=unit_id))["parent_id"] for unit_id in (first, second)}
    for unit_id, parent_id in parents.items():  # back to two units without parents for the next round
        if parent_id is not None:
            version = (await service.get_unit(db, unit_id=unit_id))["version"]
            reset = UnitUpdate(parent_id=None)
            await service.update_unit(db, unit_id=unit_id, data=reset, version=version, actor=OFFICE)
    return outcomes, parents


def test_two_parents_set_at_once_that_would_close_a_cycle_never_both_succeed(tasks_client, tasks_database):
    async def run():
        db = Database(make_engine(tasks_database))
        try:
            first, second = [
                (await service.create_unit(db, data=UnitCreate(name=name, kind="department"), actor=OFFICE))["id"]
                for name in ("市交通运输局", "市公路中心")
            ]
            return [await _round(db, first, second) for _ in range(ROUNDS)]
        finally:
            await db.dispose()

    for outcomes, parents in asyncio.run(run()):
        assert_one_moved_and_one_refused(outcomes, parents)
