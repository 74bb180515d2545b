"""Dispatches side by side: two replicas at once create and send each notification once on PostgreSQL, SQLite
runs one dispatcher at a time, and a dispatch asks its peers over HTTP before it opens its write transaction
(on SQLite that transaction is the one write lock)."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from services.common.db import Database, make_engine
from services.common.dialect import driver_dsn
from services.notify_api.app import create_app as create_notify_app
from services.notify_api.dispatches.service import run_dispatch, sole_dispatcher
from tests.databases import BACKEND
from tests.notify_api.conftest import add_contact, notify_settings, outbox
from tests.notify_api.test_planner import TRANSPORT, shanghai


async def transaction_open(url: str) -> bool:
    """Whether some connection holds a transaction open on the database at `url` (a write lock on SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        probe = sqlite3.connect(parsed.database, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")  # refused at once while another connection holds the write lock
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    probe = await asyncpg.connect(driver_dsn(parsed))
    try:
        return await probe.fetchval(
            "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
        )
    finally:
        await probe.close()


class TransactionProbe(httpx.AsyncBaseTransport):
    """Forwards to the real peer; before each call, notes whether notify_api's database had a transaction open."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.calls = 0
        self.calls_inside_a_transaction = 0
        self._real = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        self.calls_inside_a_transaction += await transaction_open(self.database_url)
        return await self._real.handle_async_request(request)

    async def aclose(self) -> None:
        await self._real.aclose()


@pytest.fixture
def transport_unit(quzhou):
    return quzhou.unit_id(TRANSPORT)


def test_a_dispatch_asks_its_peers_with_no_transaction_open(
    notify_db, tasks_server, reporting_peer, auth, transport_unit
):
    tasks_probe, reporting_probe = TransactionProbe(notify_db), TransactionProbe(notify_db)
    app = create_notify_app(
        notify_settings(notify_db, tasks_server, reporting_peer),
        tasks_transport=tasks_probe,
        reporting_transport=reporting_probe,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        add_contact(client, auth("office"), "unit", transport_unit, target="http://127.0.0.1:9/hooks/transport")
        response = client.post(
            "/v1/dispatches", json={"as_of": shanghai("2019-12-28").isoformat()}, headers=auth("office")
        )
    assert response.status_code == 201, response.text
    assert response.json()["created"] > 0
    assert tasks_probe.calls > 0 and reporting_probe.calls > 0
    assert tasks_probe.calls_inside_a_transaction == reporting_probe.calls_inside_a_transaction == 0


@pytest.mark.skipif(BACKEND == "sqlite", reason="replicas share the work on PostgreSQL; SQLite runs one at a time")
def test_two_dispatchers_at_once_create_and_send_each_notification_once(notify_client, auth, receiver, transport_unit):
    hook = add_contact(notify_client, auth("office"), "unit", transport_unit, target=receiver.endpoint("hooks/t"))
    receiver.secrets["hooks/t"] = hook["secret"]
    state = notify_client.app.state

    async def replica(minute: int) -> dict:
        """A dispatcher with its own engine, as another process would have."""
        db = Database(make_engine(state.settings.database_url))
        try:
            as_of = shanghai("2019-12-28").replace(minute=minute)
            dispatch, _ = await run_dispatch(
                db, state.settings, tasks=state.tasks, reporting=state.reporting, as_of=as_of, actor=f"replica-{minute}"
            )
            return dispatch
        finally:
            await db.dispose()

    async def both() -> list[dict]:
        return await asyncio.gather(replica(0), replica(1))

    first, second = notify_client.portal.call(both)
    rows = outbox(notify_client)
    assert first["created"] + second["created"] == len(rows) > 0
    assert 0 in (first["created"], second["created"])  # the second found every key taken
    assert first["sent"] + second["sent"] == len(rows)
    assert receiver.deliveries_by_id("hooks/t") == {row["webhook_id"]: 1 for row in rows}
    assert all(call.verified for call in receiver.calls_to("hooks/t"))


@pytest.mark.skipif(BACKEND != "sqlite", reason="PostgreSQL replicas dispatch side by side (the test above)")
def test_on_sqlite_a_second_dispatcher_is_refused_while_one_runs_and_plans_nothing(notify_client, auth, transport_unit):
    add_contact(notify_client, auth("office"), "unit", transport_unit, target="ops@example.org", channel="email")
    with sole_dispatcher(notify_client.app.state.database):  # another dispatcher is at work
        refused = notify_client.post(
            "/v1/dispatches", json={"as_of": "2019-12-28T10:00:00+08:00"}, headers=auth("office")
        )
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert outbox(notify_client) == []
    again = notify_client.post("/v1/dispatches", json={"as_of": "2019-12-28T10:00:00+08:00"}, headers=auth("office"))
    assert again.status_code == 201 and again.json()["created"] > 0
