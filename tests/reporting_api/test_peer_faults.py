"""When tasks_api is down, slow or broken, reporting_api answers 503 in time and writes nothing."""

import time

import pytest
from fastapi.testclient import TestClient

from services.reporting_api.app import create_app
from tests.conftest import reporting_settings
from tests.databases import empty_tables
from tests.faults import FaultyTransport
from services.reporting_api.models import metadata


@pytest.fixture
def faulty():
    return FaultyTransport(slow_seconds=10)


@pytest.fixture
def client(reporting_database, tasks_server, faulty):
    empty_tables(reporting_database, metadata)
    settings = reporting_settings(reporting_database, tasks_server).model_copy(
        update={"peer_timeout_seconds": 0.5, "peer_budget_seconds": 1.5})
    with TestClient(create_app(settings, tasks_transport=faulty), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("fault", ["refuse", "slow", "error", "garble"])
def test_filing_a_report_while_tasks_api_fails_is_503_within_the_budget_and_writes_nothing(
        client, faulty, auth, quzhou, fault):
    unit_id = quzhou.unit_id("市交通运输局")
    faulty.fault = fault
    started = time.monotonic()
    response = client.post("/v1/reports", json={"item_id": quzhou.item("T9")["id"], "period": "2024-Q1"},
                           headers=auth("unit", unit_id=unit_id))
    assert time.monotonic() - started < 3.0
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"]
    assert "tasks_api" in response.json()["detail"]
    faulty.fault = None
    assert client.get("/v1/reports", headers=auth("office")).json()["data"] == []


def test_reporting_recovers_by_itself_when_tasks_api_is_back(client, faulty, auth, quzhou):
    unit_id = quzhou.unit_id("市交通运输局")
    body = {"item_id": quzhou.item("T9")["id"], "period": "2024-Q1"}
    faulty.fault = "refuse"
    assert client.post("/v1/reports", json=body, headers=auth("unit", unit_id=unit_id)).status_code == 503
    faulty.fault = None
    assert client.post("/v1/reports", json=body, headers=auth("unit", unit_id=unit_id)).status_code == 201


def test_idempotent_reads_are_retried_past_a_passing_failure(client, faulty, auth, quzhou):
    faulty.fault = "error"
    calls_before = faulty.calls
    response = client.get(f"/v1/plans/{quzhou.plan_id}/periods", headers=auth("viewer"))
    assert response.status_code == 503
    assert faulty.calls - calls_before == 3  # the first try and two bounded retries
