"""Deleting a unit while a delegation (转办) to it or from it is being made, at the same moment (real concurrency, on
either database): either the delegation is refused, or the delete sees it and deletes it in the history and
published (delegation.deleted). No delegation outlives its unit, and none goes silently with it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import or_, select

from services.common.auth import Principal, Role
from services.common.db import Database, make_engine
from services.common.problems import ProblemError
from services.tasks_api.delegations import service as delegations
from services.tasks_api.delegations.repository import delegations as delegation_rows
from services.tasks_api.delegations.schemas import DelegationCreate
from services.tasks_api.units import service as units
from services.tasks_api.units.schemas import UnitCreate
from tests.tasks_api.factories import history, import_small_plan
from tests.tasks_api.test_outbox import events

OFFICE = Principal(subject="test-office-0", role=Role.OFFICE)
ROUNDS = 8


def unit(unit_id: int) -> Principal:
    return Principal(subject=f"unit-{unit_id}", role=Role.UNIT, unit_id=unit_id)


async def sub_unit(db: Database, name: str, parent_id: int) -> int:
    data = UnitCreate(name=name, kind="department", parent_id=parent_id)
    return (await units.create_unit(db, data=data, actor=OFFICE))["id"]


async def delegated(db: Database, item_id: int, by: int, to: int) -> int:
    data = DelegationCreate(to_unit_id=to, scope="路基工程征地")
    return (await delegations.delegate(db, item_id=item_id, data=data, principal=unit(by)))["id"]


async def race(db: Database, item_id: int, by: int, to: int, doomed: int, n: int) -> list[object]:
    """Delete unit `doomed` while `by` delegates the item to `to`, the two released together, one round the delete
    first in line, the next the delegation."""
    version = (await units.get_unit(db, unit_id=doomed))["version"]
    barrier = asyncio.Barrier(2)

    async def delete() -> None:
        await barrier.wait()
        await units.delete_unit(db, unit_id=doomed, version=version, actor=OFFICE)

    async def delegate() -> int:
        await barrier.wait()
        return await delegated(db, item_id, by, to)

    if n % 2:
        return list(reversed(await asyncio.gather(delegate(), delete(), return_exceptions=True)))
    return await asyncio.gather(delete(), delegate(), return_exceptions=True)


async def referring_to(db: Database, unit_id: int) -> list[int]:
    c = delegation_rows.c
    async with db.read() as conn:
        query = select(c.id).where(or_(c.from_unit_id == unit_id, c.to_unit_id == unit_id))
        return list((await conn.execute(query)).scalars())


def rounds(url: str, play) -> list[tuple[list[object], list[int]]]:
    """`play(db, n)` run ROUNDS times; each round's outcomes with the delegations left that name its doomed unit."""

    async def run():
        db = Database(make_engine(url))
        try:
            return [await play(db, n) for n in range(ROUNDS)]
        finally:
            await db.dispose()

    return asyncio.run(run())


def assert_no_orphan(client, auth, url: str, outcomes: list[object], left: list[int]) -> None:
    deleted, made = outcomes
    assert all(o is None or isinstance(o, (int, ProblemError)) for o in outcomes), outcomes
    if deleted is None:  # the unit is gone: nothing names it, and a delegation made first went with it, told
        assert left == []
        if isinstance(made, int):
            assert history(client, auth, "delegation", made)[-1]["action"] == "delete"
            gone = [e["data"]["delegation_id"] for e in events(url, type_="delegation.deleted")]
            assert made in gone
    else:
        assert isinstance(made, int), outcomes  # the unit stands: the delete was refused, the delegation made


@pytest.fixture
def plan(tasks_client, auth):
    return import_small_plan(tasks_client, auth)


def test_a_unit_deleted_while_work_is_delegated_to_it_leaves_no_delegation_behind(
    tasks_client, auth, tasks_database, plan
):
    transport, t1 = plan.units["市交通运输局"], plan.items["T1"]

    async def play(db, n):
        doomed = await sub_unit(db, f"市公路中心{n}", transport)
        return await race(db, t1, transport, doomed, doomed, n), await referring_to(db, doomed)

    for outcomes, left in rounds(tasks_database, play):
        assert_no_orphan(tasks_client, auth, tasks_database, outcomes, left)


def test_a_unit_deleted_while_it_passes_work_on_leaves_no_delegation_behind(tasks_client, auth, tasks_database, plan):
    transport, t1 = plan.units["市交通运输局"], plan.items["T1"]

    async def play(db, n):
        doomed = await sub_unit(db, f"市公路中心{n}", transport)
        below = await sub_unit(db, f"衢江公路段{n}", doomed)
        given = await delegated(db, t1, transport, doomed)
        await delegations.acknowledge(db, delegation_id=given, version=None, principal=unit(doomed))
        return await race(db, t1, doomed, below, doomed, n), await referring_to(db, doomed)

    for outcomes, left in rounds(tasks_database, play):
        assert_no_orphan(tasks_client, auth, tasks_database, outcomes, left)
