"""Fixtures shared by every service's tests: databases, apps on real migrations, tokens."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.common.auth import mint_token
from services.common.migrations import upgrade
from services.common.settings import REPO_ROOT
from services.tasks_api.app import create_app as create_tasks_app
from services.tasks_api.models import metadata as tasks_metadata
from services.tasks_api.settings import TasksSettings
from tests.databases import TestDatabases, empty_tables

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
    url = databases.create("tasks")
    upgrade("tasks_api", url)
    return url


def tasks_settings(url: str) -> TasksSettings:
    return TasksSettings(database_url=url, environment="test")


@pytest.fixture
def tasks_client(tasks_database: str) -> Iterator[TestClient]:
    """A tasks_api app on an empty database."""
    empty_tables(tasks_database, tasks_metadata)
    with TestClient(create_tasks_app(tasks_settings(tasks_database)), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def quzhou_database(databases: TestDatabases) -> str:
    """A tasks_api database holding the Quzhou plan; tests that use it only read."""
    from services.common.db import Database, make_engine
    from services.tasks_api.plans.plan_file import parse_plan_file
    from services.tasks_api.plans.service import import_plan

    url = databases.create("quzhou")
    upgrade("tasks_api", url)

    async def load() -> None:
        database = Database(make_engine(url))
        await import_plan(database, plan_file=parse_plan_file(QUZHOU_PLAN.read_bytes()), actor="test-seed")
        await database.dispose()

    asyncio.run(load())
    return url


@pytest.fixture(scope="module")
def quzhou_client(quzhou_database: str) -> Iterator[TestClient]:
    """A tasks_api app serving the Quzhou plan, read only."""
    with TestClient(create_tasks_app(tasks_settings(quzhou_database)), raise_server_exceptions=False) as client:
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
