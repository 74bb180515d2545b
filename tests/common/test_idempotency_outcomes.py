"""A retried POST runs at most once, even when the first attempt died between writing and keeping its answer.

Each transaction a keyed request commits stamps the key's wrote_at in the same commit; these tests put a key in
the state a crashed or failed first attempt leaves and check what its retry does."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from services.common import clock
from services.common.db import COMMIT_MARK, Database, make_engine
from services.common.idempotency import ABANDONED_AFTER, KeyClaim
from services.common.problems import Conflict
from services.tasks_api.models import Unit, idempotency_keys
from tests.problems import assert_problem

units = Unit.__table__
UNIT = {"name": "幂等测试单位", "kind": "department"}


def _database(client) -> Database:
    return Database(make_engine(client.app.state.settings.database_url))


def _on(client, work) -> Any:
    async def main() -> Any:
        db = _database(client)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


def _key_row(client, key: str) -> dict[str, Any]:
    async def read(db: Database) -> dict[str, Any]:
        async with db.read() as conn:
            return dict(
                (await conn.execute(select(idempotency_keys).where(idempotency_keys.c.key == key))).mappings().one()
            )

    return _on(client, read)


def _as_if_the_process_died(client, key: str, *, after_writing: bool, unit_id: int) -> None:
    """The key as a request leaves it when its process dies: in flight, claimed long ago; stamped if it had
    committed its write, and with no unit made if it had not."""

    async def rewind(db: Database) -> None:
        async with db.transaction() as conn:
            if not after_writing:
                await conn.execute(units.delete().where(units.c.id == unit_id))
            await conn.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.key == key)
                .values(
                    completed=False,
                    status_code=None,
                    body=None,
                    headers=None,
                    wrote_at=idempotency_keys.c.wrote_at if after_writing else None,
                    created_at=clock.now() - ABANDONED_AFTER - timedelta(seconds=1),
                )
            )

    _on(client, rewind)


def _units_named(client, name: str) -> int:
    async def count(db: Database) -> int:
        async with db.read() as conn:
            return await conn.scalar(select(func.count()).select_from(units).where(units.c.name == name))

    return _on(client, count)


def test_a_keyed_write_stamps_its_key_when_it_commits(tasks_client, auth):
    created = tasks_client.post("/v1/units", json=UNIT, headers=auth("office", **{"Idempotency-Key": "stamp"}))
    assert created.status_code == 201
    assert _key_row(tasks_client, "stamp")["wrote_at"] is not None


def test_a_keyed_request_refused_before_writing_leaves_its_key_unstamped(tasks_client, auth):
    refused = tasks_client.post("/v1/units", json={"name": ""}, headers=auth("office", **{"Idempotency-Key": "bad"}))
    assert refused.status_code == 422
    assert _key_row(tasks_client, "bad")["wrote_at"] is None


def test_the_retry_of_a_request_that_died_after_writing_is_refused_not_run_again(tasks_client, auth):
    headers = auth("office", **{"Idempotency-Key": "died-late"})
    first = tasks_client.post("/v1/units", json=UNIT, headers=headers)
    _as_if_the_process_died(tasks_client, "died-late", after_writing=True, unit_id=first.json()["id"])
    retry = tasks_client.post("/v1/units", json=UNIT, headers=headers)
    assert_problem(retry, 409)
    assert retry.json()["type"].endswith("/idempotency-key-outcome-unknown")
    assert _units_named(tasks_client, UNIT["name"]) == 1


def test_the_retry_of_a_request_that_died_before_writing_runs_for_real(tasks_client, auth):
    headers = auth("office", **{"Idempotency-Key": "died-early"})
    first = tasks_client.post("/v1/units", json=UNIT, headers=headers)
    _as_if_the_process_died(tasks_client, "died-early", after_writing=False, unit_id=first.json()["id"])
    retry = tasks_client.post("/v1/units", json=UNIT, headers=headers)
    assert retry.status_code == 201, retry.text
    assert _units_named(tasks_client, UNIT["name"]) == 1


def test_a_retry_while_the_first_request_may_still_be_running_is_told_to_wait(tasks_client, auth):
    headers = auth("office", **{"Idempotency-Key": "in-flight"})
    first = tasks_client.post("/v1/units", json=UNIT, headers=headers)
    _as_if_the_process_died(tasks_client, "in-flight", after_writing=False, unit_id=first.json()["id"])
    _on(tasks_client, lambda db: _claimed_just_now(db, "in-flight"))
    retry = tasks_client.post("/v1/units", json=UNIT, headers=headers)
    assert_problem(retry, 409)
    assert retry.json()["type"].endswith("/idempotency-key-in-flight")
    assert _units_named(tasks_client, UNIT["name"]) == 0


async def _claimed_just_now(db: Database, key: str) -> None:
    async with db.transaction() as conn:
        await conn.execute(update(idempotency_keys).where(idempotency_keys.c.key == key).values(created_at=clock.now()))


def test_a_server_error_after_the_write_committed_is_not_run_again_on_retry(tasks_client, auth, monkeypatch):
    def fail_after_the_commit(*_: Any, **__: Any) -> None:
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr("services.tasks_api.units.router.created", fail_after_the_commit)
    headers = auth("office", **{"Idempotency-Key": "failed-late"})
    assert_problem(tasks_client.post("/v1/units", json=UNIT, headers=headers), 500)
    monkeypatch.undo()
    retry = tasks_client.post("/v1/units", json=UNIT, headers=headers)
    assert_problem(retry, 409)
    assert retry.json()["type"].endswith("/idempotency-key-outcome-unknown")
    assert _units_named(tasks_client, UNIT["name"]) == 1


def test_a_server_error_before_any_write_lets_the_retry_run(tasks_client, auth, monkeypatch):
    async def fail_before_writing(*_: Any, **__: Any) -> None:
        raise RuntimeError("the database driver broke")

    monkeypatch.setattr("services.tasks_api.units.router.service.create_unit", fail_before_writing)
    headers = auth("office", **{"Idempotency-Key": "failed-early"})
    assert_problem(tasks_client.post("/v1/units", json=UNIT, headers=headers), 500)
    monkeypatch.undo()
    assert tasks_client.post("/v1/units", json=UNIT, headers=headers).status_code == 201
    assert _units_named(tasks_client, UNIT["name"]) == 1


def test_a_request_whose_key_a_retry_took_over_writes_nothing(tasks_client, auth):
    tasks_client.post("/v1/units", json=UNIT, headers=auth("office", **{"Idempotency-Key": "taken-over"}))
    row = _key_row(tasks_client, "taken-over")

    async def write_under_a_stale_claim(db: Database) -> None:
        stale = KeyClaim(db, idempotency_keys, row["scope"], "taken-over", claimed_at=clock.now() - timedelta(hours=1))
        marking = COMMIT_MARK.set(stale)
        try:
            async with db.transaction() as conn:
                now = clock.now()
                await conn.execute(
                    units.insert().values(
                        name="被接管的写入", kind="department", version=1, created_at=now, updated_at=now
                    )
                )
        finally:
            COMMIT_MARK.reset(marking)

    with pytest.raises(Conflict):
        _on(tasks_client, write_under_a_stale_claim)
    assert _units_named(tasks_client, "被接管的写入") == 0
