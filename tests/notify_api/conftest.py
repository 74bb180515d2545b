"""Fixtures shared by notify_api's tests: its migrated database, its real peers, the app, and helpers.

notify_api reads two peers over HTTP: the real tasks_api serving the Quzhou plan (`tasks_server`, from
tests/conftest.py) and a real reporting_api on its own migrated database (`reporting_peer`, emptied for
each test so that no report is filed until a test files one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.notify_api.app import create_app as create_notify_app
from services.notify_api.deliveries.models import Notification
from services.notify_api.models import metadata as notify_metadata
from services.notify_api.reminders.service import find_due, write_due
from services.notify_api.settings import NotifySettings
from services.reporting_api.app import create_app as create_reporting_app
from services.reporting_api.models import metadata as reporting_metadata
from tests.apps import app_as_new
from tests.conftest import reporting_settings, serve_in_thread
from tests.databases import TestDatabases, empty_tables
from tests.notify_api.receivers import Mailbox, Receiver, start_mailbox


@pytest.fixture(scope="session")
def notify_database(databases: TestDatabases) -> str:
    """A notify_api database at the migration head, shared by the tests (emptied before each)."""
    return databases.migrated("notify", "notify_api")


@pytest.fixture(scope="session")
def reporting_peer_database(databases: TestDatabases) -> str:
    """reporting_api's database as notify_api's peer (apart from the one reporting_api's own tests empty)."""
    return databases.migrated("notify_reporting", "reporting_api")


@pytest.fixture(scope="session")
def reporting_server(reporting_peer_database: str, tasks_server: str) -> Iterator[str]:
    """The real reporting_api on a local port, reading the Quzhou plan from the real tasks_api."""
    with serve_in_thread(create_reporting_app(reporting_settings(reporting_peer_database, tasks_server))) as url:
        yield url


@pytest.fixture
def reporting_peer(reporting_peer_database: str, reporting_server: str) -> str:
    """The reporting_api notify_api talks to, with no report filed yet; its base URL."""
    empty_tables(reporting_peer_database, reporting_metadata)
    return reporting_server


def notify_settings(
    url: str, tasks_url: str = "http://127.0.0.1:9", reporting_url: str = "http://127.0.0.1:9", **overrides: Any
) -> NotifySettings:
    """Settings of a notify_api on the database at `url`, for tests: peers never cached, links to a fixed site,
    and a peer budget a busy CI machine cannot exhaust (the fault tests set tight ones)."""
    return NotifySettings(
        **{
            "database_url": url,
            "environment": "test",
            "tasks_api_url": tasks_url,
            "reporting_api_url": reporting_url,
            "peer_cache_seconds": 0.0,
            "peer_budget_seconds": 60.0,
            "peer_timeout_seconds": 30.0,
            "public_base_url": "https://duban.example.cn",
            **overrides,
        }
    )


@pytest.fixture
def notify_app_factory(
    notify_database: str, tasks_server: str, reporting_peer: str
) -> Iterator[Callable[..., TestClient]]:
    """notify_app_factory(**settings) → a started notify_api TestClient on the emptied database."""
    empty_tables(notify_database, notify_metadata)
    with ExitStack() as started:

        def start(**overrides: Any) -> TestClient:
            settings = notify_settings(notify_database, tasks_server, reporting_peer, **overrides)
            app = started.enter_context(app_as_new(create_notify_app, settings))
            return started.enter_context(TestClient(app, raise_server_exceptions=False))

        yield start


@pytest.fixture
def notify_client(notify_app_factory: Callable[..., TestClient]) -> TestClient:
    """notify_api on an empty database, with the real tasks_api and reporting_api as peers."""
    return notify_app_factory()


@pytest.fixture
def reporting_http(reporting_peer: str) -> Iterator[httpx.Client]:
    """A plain HTTP client of the peer reporting_api, for a test to file reports as a unit would."""
    with httpx.Client(base_url=reporting_peer, timeout=30) as client:
        yield client


# -- helpers ----------------------------------------------------------------------------------------------


def run_planner(client: TestClient, as_of: datetime, dispatch_id: int = 1) -> int:
    """Run A's planner inside the app, on its own database and peer clients, as a dispatch does: the peers read
    with no transaction open, then one transaction writes."""
    state = client.app.state

    async def plan() -> int:
        found = await find_due(state.database, state.tasks, state.reporting, state.settings, as_of=as_of)
        async with state.database.transaction() as conn:
            return await write_due(conn, found, dispatch_id=dispatch_id)

    return client.portal.call(plan)


def outbox(client: TestClient, **where: Any) -> list[dict[str, Any]]:
    """The notification rows in the app's database, in id order, filtered by column values."""
    table = Notification.__table__

    async def read() -> list[dict[str, Any]]:
        query = select(table).where(*(table.c[k] == v for k, v in where.items())).order_by(table.c.id)
        async with client.app.state.database.read() as conn:
            return [dict(row) for row in (await conn.execute(query)).mappings()]

    return client.portal.call(read)


def add_contact(
    client: TestClient,
    headers: dict[str, str],
    owner_kind: str,
    owner_id: int,
    channel: str = "webhook",
    target: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Create a contact as `headers` may, asserting it was created."""
    if target is None:
        target = "duban@example.cn" if channel == "email" else f"https://hooks.example.cn/{owner_kind}/{owner_id}"
    response = client.post(
        "/v1/contacts",
        json={"owner_kind": owner_kind, "owner_id": owner_id, "channel": channel, "target": target, **fields},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


# -- delivery (engineer B): a real webhook/robot receiver, a real SMTP server, the deliverer's settings ----

NO_PEER = "http://127.0.0.1:9"  # for settings of tests that drive the deliverer and never reach a peer


@pytest.fixture
def notify_db(notify_database: str) -> str:
    """The notify_api database, emptied; for tests that drive the deliverer without an app."""
    empty_tables(notify_database, notify_metadata)
    return notify_database


@pytest.fixture(scope="session")
def _receiver_server() -> Iterator[Receiver]:
    receiver = Receiver()
    with serve_in_thread(receiver.app) as url:
        receiver.url = url
        yield receiver


@pytest.fixture
def receiver(_receiver_server: Receiver) -> Receiver:
    """A webhook and robot receiver on localhost that verifies signatures and counts deliveries by id."""
    _receiver_server.reset()
    return _receiver_server


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox()
    controller = start_mailbox(mailbox)
    yield mailbox
    controller.stop()


@pytest.fixture
def mailbox(_smtp_server: Mailbox) -> Mailbox:
    """A real SMTP server (aiosmtpd) on localhost, keeping the messages it accepts."""
    _smtp_server.reset()
    return _smtp_server


@pytest.fixture
def delivery_settings(notify_db: str, mailbox: Mailbox) -> NotifySettings:
    """Settings for driving the deliverer directly: a short retry schedule and the local SMTP server."""
    return notify_settings(
        notify_db,
        NO_PEER,
        NO_PEER,
        retry_schedule_seconds=[0, 10, 20, 30],
        lease_seconds=60,
        delivery_timeout_seconds=5.0,
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
    )
