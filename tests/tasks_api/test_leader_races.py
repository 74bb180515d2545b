"""A leader deleted while the office names them lead leader of an item (牵头市领导): never both, or the naming would be
cascaded away unrecorded (real concurrency, on either database)."""

from __future__ import annotations

import asyncio

from services.common.auth import Principal, Role
from services.common.db import Database, make_engine
from services.tasks_api.people import service as people
from services.tasks_api.targets import service as targets
from services.tasks_api.targets.schemas import ItemLeaderCreate
from tests.tasks_api.factories import import_small_plan

OFFICE = Principal(subject="test-office-0", role=Role.OFFICE)


def test_a_leader_deleted_while_being_named_lead_leader_never_both_succeed(
    tasks_client, tasks_database, auth, monkeypatch
):
    plan = import_small_plan(tasks_client, auth)
    leader = tasks_client.post("/v1/leaders", json={"name": "王五", "title": "副市长"}, headers=auth("office"))
    assert leader.status_code == 201, leader.text
    leader_id, item_id = leader.json()["id"], plan.items["T3"]

    # Widen the window deterministically: the naming's transaction holds its inserted row a moment before committing
    # (as a slow request would), and the delete starts inside that moment.
    original = targets._item_leader

    async def slow_item_leader(conn, item_id, leader_id):
        await asyncio.sleep(0.5)
        return await original(conn, item_id, leader_id)

    monkeypatch.setattr(targets, "_item_leader", slow_item_leader)

    async def run():
        db = Database(make_engine(tasks_database))
        try:

            async def delete_later():
                await asyncio.sleep(0.15)
                return await people.delete_leader(db, leader_id=leader_id, version=1, actor=OFFICE)

            return await asyncio.gather(
                targets.add_item_leader(db, item_id=item_id, data=ItemLeaderCreate(leader_id=leader_id), actor=OFFICE),
                delete_later(),
                return_exceptions=True,
            )
        finally:
            await db.dispose()

    added, deleted = asyncio.run(run())
    leaders_now = tasks_client.get(f"/v1/items/{item_id}/leaders", headers=auth("viewer")).json()["data"]
    # One of the two is refused: the delete (409, still leads an item) or the naming (the leader is gone).
    assert isinstance(added, BaseException) or isinstance(deleted, BaseException), (added, deleted, leaders_now)
