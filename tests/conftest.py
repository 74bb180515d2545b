"""Fixtures shared by every service's tests: databases, apps on real migrations, tokens."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from services.common.auth import mint_token
from services.common.db import Database, make_engine
from services.common.settings import REPO_ROOT
from services.reporting_api.app import create_app as create_reporting_app
from services.reporting_api.models import metadata as reporting_metadata
from services.reporting_api.settings import ReportingSettings
from services.tasks_api.app import create_app as create_tasks_app
from services.tasks_api.models import metadata as tasks_metadata
from services.tasks_api.plans.files.validation import parse_plan_file
from services.tasks_api.plans.service import import_plan
from services.tasks_api.settings import TasksSettings
from tests.apps import app_as_new
from tests.databases import BACKEND, TestDatabases, empty_tables

# No worker runs beside the tests' apps: a request's job (dispatch, ledger export) is run by the app at once rather
# than after the grace period; the tests that need a worker call its run_once() in-process, with a grace of their own.
for _service in ("NOTIFY_API", "REPORTING_API"):
    os.environ.setdefault(f"{_service}_JOB_GRACE_SECONDS", "0")

QUZHOU_PLAN = REPO_ROOT / "data" / "plans" / "quzhou-yrd-2019-2025.yaml"

Headers = Callable[..., dict[str, str]]


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    found = TestDatabases(tmp_path_factory.mktemp("databases"))
    yield found
    found.drop_all()


@pytest.fixture(scope="session")
def tasks_database(databases: TestDatabases) -> str:
    """A tasks_api database at the migration head, shared by the tests that write (emptied before each)."""
    return databases.migrated("tasks", "tasks_api")


def tasks_settings(url: str) -> TasksSettings:
    return TasksSettings(database_url=url, environment="test")


@pytest.fixture
def tasks_client(tasks_database: str) -> Iterator[TestClient]:
    """A tasks_api app on an empty database."""
    empty_tables(tasks_database, tasks_metadata)
    with (
        app_as_new(create_tasks_app, tasks_settings(tasks_database)) as app,
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        yield client


def quzhou_plan_database(databases: TestDatabases, label: str) -> str:
    """A new tasks_api database at the migration head with the Quzhou plan imported; its URL."""
    url = databases.migrated(label, "tasks_api")
    import_quzhou_plan(url)
    return url


def import_quzhou_plan(url: str) -> None:
    """Import the Quzhou plan into the tasks_api database at `url`."""

    async def load() -> None:
        database = Database(make_engine(url))
        await import_plan(database, plan_file=parse_plan_file(QUZHOU_PLAN.read_bytes()), actor="test-seed")
        await database.dispose()

    asyncio.run(load())


@pytest.fixture(scope="session")
def quzhou_database(databases: TestDatabases) -> str:
    """A tasks_api database holding the Quzhou plan; tests that use it only read."""
    return quzhou_plan_database(databases, "quzhou")


@pytest.fixture(scope="module")
def quzhou_client(quzhou_database: str) -> Iterator[TestClient]:
    """A tasks_api app serving the Quzhou plan, read only."""
    with (
        app_as_new(create_tasks_app, tasks_settings(quzhou_database)) as app,
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        yield client


@pytest.fixture(scope="session")
def auth() -> Headers:
    """auth("office") or auth("unit", unit_id=3): Authorization headers with a locally minted token."""
    settings = TasksSettings(environment="test")

    def headers(role: str, unit_id: int | None = None, **extra: str) -> dict[str, str]:
        token = mint_token(settings, role=role, unit_id=unit_id, subject=f"test-{role}-{unit_id or 0}")
        return {"Authorization": f"Bearer {token}", **extra}

    return headers


def plan_id_of(client: TestClient, auth: Headers, key: str = "quzhou-yrd-2019-2025") -> int:
    plans = client.get("/v1/plans", headers=auth("viewer")).json()["data"]
    return next(p["id"] for p in plans if p["key"] == key)


@pytest.fixture(scope="module")
def quzhou_plan_id(quzhou_client: TestClient, auth: Headers) -> int:
    return plan_id_of(quzhou_client, auth)


def pytest_configure(config: pytest.Config) -> None:
    Path(REPO_ROOT / "var").mkdir(exist_ok=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, only the tests that reach a database: the others (contract, docs, deploy, pure rules) ran
    on the SQLite pass already and would only repeat it, in a CI run with a 20-minute budget.
    DUBAN_TEST_EVERYTHING=1 runs them all."""
    if BACKEND != "postgresql" or os.environ.get("DUBAN_TEST_EVERYTHING"):
        return
    kept: list[pytest.Item] = []
    repeated: list[pytest.Item] = []
    for item in items:
        (kept if reaches_a_database(item) else repeated).append(item)
    if repeated:
        config.hook.pytest_deselected(items=repeated)
        items[:] = kept


def reaches_a_database(item: pytest.Item) -> bool:
    """A test reaches a database through the session's `databases` fixture, or its module picks the backend
    (or PostgreSQL's address) itself."""
    if "databases" in getattr(item, "fixturenames", ()):
        return True
    module = getattr(item, "module", None)
    return any(hasattr(module, name) for name in ("BACKEND", "PG_DSN", "TestDatabases"))


@pytest.fixture(scope="session")
def tasks_server(quzhou_database: str) -> Iterator[str]:
    """The real tasks_api app serving the Quzhou plan on a local port, as its peers see it."""
    with serve_in_thread(create_tasks_app(tasks_settings(quzhou_database))) as url:
        yield url


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Run an ASGI app under uvicorn on a free loopback port; yields its base URL."""
    with serve_config_in_thread(uvicorn.Config(app, log_level="warning", lifespan="on")) as url:
        yield url


@contextmanager
def serve_config_in_thread(config: uvicorn.Config) -> Iterator[str]:
    """Run uvicorn with `config` (its host and port aside) on a free loopback port; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def reporting_database(databases: TestDatabases) -> str:
    return databases.migrated("reporting", "reporting_api")


def reporting_settings(url: str, tasks_url: str) -> ReportingSettings:
    # A budget far above what a quiet machine needs: these tests are about results, and CI's two busy cores
    # must not turn a slow plan-wide read into a 503. tests/faults.py sets tight budgets where budgets matter.
    return ReportingSettings(
        database_url=url, environment="test", tasks_api_url=tasks_url, peer_cache_seconds=0.0, peer_budget_seconds=30.0
    )


@pytest.fixture
def reporting_client(reporting_database: str, tasks_server: str) -> Iterator[TestClient]:
    """A reporting_api app on an empty database, talking to the real tasks_api with the Quzhou plan."""
    empty_tables(reporting_database, reporting_metadata)
    with (
        app_as_new(create_reporting_app, reporting_settings(reporting_database, tasks_server)) as app,
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        yield client


class Quzhou:
    """Ids of the Quzhou plan's records, looked up through tasks_api by their printed names."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        plans = client.get("/v1/plans", headers=headers).json()["data"]
        self.plan_id = next(p["id"] for p in plans if p["key"] == "quzhou-yrd-2019-2025")
        self._client, self._headers = client, headers
        self._items: dict[str, dict] = {}

    def item(self, key: str) -> dict:
        if not self._items:
            cursor = None
            while True:
                page = self._client.get(
                    f"/v1/plans/{self.plan_id}/items",
                    headers=self._headers,
                    params={"limit": 500, **({"cursor": cursor} if cursor else {})},
                ).json()
                self._items.update({i["key"]: i for i in page["data"]})
                if not (cursor := page["next_cursor"]):
                    break
        return self._items[key]

    def unit_id(self, name: str) -> int:
        return self._client.get("/v1/units", params={"name": name}, headers=self._headers).json()["data"][0]["id"]

    def indicator_id(self, key: str) -> int:
        item_key = key.split("-")[0]
        rows = self._client.get(f"/v1/items/{self.item(item_key)['id']}/indicators", headers=self._headers).json()
        return next(i["id"] for i in rows["data"] if i["key"] == key)


@pytest.fixture(scope="module")
def quzhou(quzhou_client: TestClient, auth: Headers) -> Quzhou:
    return Quzhou(quzhou_client, auth("viewer"))
