"""Each service without its database: it starts, says so in its log, answers /readyz and every request with a
503 problem, and never crashes (a crash loop would help no one)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from services.notify_api.app import create_app as create_notify_app
from services.notify_api.settings import NotifySettings
from services.reporting_api.app import create_app as create_reporting_app
from services.reporting_api.settings import ReportingSettings
from services.tasks_api.app import create_app as create_tasks_app
from services.tasks_api.settings import TasksSettings
from tests.faults import assert_unavailable

SERVICES = {
    "tasks_api": (create_tasks_app, TasksSettings),
    "reporting_api": (create_reporting_app, ReportingSettings),
    "notify_api": (create_notify_app, NotifySettings),
}
MISSING_DATABASES = {
    "postgresql-without-the-database": "postgresql+asyncpg://postgres@127.0.0.1:5432/duban_no_such_database",
    "postgresql-on-a-closed-port": "postgresql+asyncpg://postgres@127.0.0.1:9/duban",
    "sqlite-in-an-unreadable-place": "sqlite+aiosqlite:////proc/duban/no-such-dir/duban.db",
}
# A read and a write of each service that need nothing but its own database.
REQUESTS = {
    "tasks_api": [("GET", "/v1/plans", None), ("POST", "/v1/units", {"name": "市数据局", "kind": "department"})],
    "reporting_api": [("GET", "/v1/reports", None), ("POST", "/v1/reports", {"item_id": 1, "period": "2024-Q1"})],
    "notify_api": [
        ("GET", "/v1/contacts", None),
        (
            "POST",
            "/v1/contacts",
            {"owner_kind": "unit", "owner_id": 7, "channel": "email", "target": "duban@example.cn"},
        ),
    ],
}


@pytest.fixture(params=sorted(MISSING_DATABASES))
def database_url(request) -> str:
    return MISSING_DATABASES[request.param]


@pytest.fixture(params=sorted(SERVICES))
def service(request) -> str:
    return request.param


@pytest.fixture
def client(service, database_url):
    create_app, settings_class = SERVICES[service]
    settings = settings_class(database_url=database_url, environment="test", tasks_api_url="http://127.0.0.1:9")
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_service_without_its_database_starts_and_says_so_once_in_its_log(service, database_url, caplog):
    create_app, settings_class = SERVICES[service]
    settings = settings_class(database_url=database_url, environment="test")
    with (
        caplog.at_level(logging.ERROR, logger="duban.readiness"),
        TestClient(create_app(settings), raise_server_exceptions=False) as client,
    ):
        assert client.get("/healthz").status_code == 200
        client.get("/readyz")
    lines = [r.getMessage() for r in caplog.records if r.name == "duban.readiness"]
    assert len(lines) == 1
    assert lines[0].startswith(f"{service}: the database at ") and "is not reachable" in lines[0]


def test_readiness_without_the_database_is_a_503_problem(client):
    response = client.get("/readyz")
    assert_unavailable(response)
    assert response.json()["detail"] == "The database is not reachable."


@pytest.mark.parametrize("idempotency_key", [None, "retry-me"])
def test_every_request_without_the_database_is_a_503_problem(client, service, auth, idempotency_key):
    extra = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    for method, path, body in REQUESTS[service]:
        response = client.request(method, path, json=body, headers=auth("office", **extra))
        assert_unavailable(response)


def test_a_database_behind_the_migrations_is_not_ready_and_the_log_says_to_migrate(service, tmp_path, caplog):
    create_app, settings_class = SERVICES[service]
    settings = settings_class(database_url=f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}", environment="test")
    with (
        caplog.at_level(logging.ERROR, logger="duban.readiness"),
        TestClient(create_app(settings), raise_server_exceptions=False) as client,
    ):
        response = client.get("/readyz")
    assert_unavailable(response)
    assert "the code expects" in response.json()["detail"]
    assert any(f"run `duban migrate {service}`" in r.getMessage() for r in caplog.records)
