"""The hot path of the item and report lists (services/common/hot_reads.py) answers exactly as the full route does,
and leaves every request it does not take to the route. PostgreSQL only: on SQLite there is no hot path."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from services.common.auth import mint_token
from services.common.db import Database, make_engine
from services.common.deps_factory import get_database
from services.common.driver_reads import NO_DRIVER_POOL
from services.common.problems import ServiceUnavailable
from services.reporting_api.reports.history import PastMeasurement, PastReport, import_past_reports
from services.reporting_api.reports.models import ReportStatus
from services.tasks_api.settings import TasksSettings
from tests.databases import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="the hot path runs on PostgreSQL only")

ROUTE_MARKER = "answered by the full route"


@contextmanager
def full_route_only(client: TestClient) -> Iterator[None]:
    """The hot path stands aside (as on SQLite): every request goes through FastAPI."""
    database = client.app.state.database
    pool, database.driver_pool = database.driver_pool, NO_DRIVER_POOL
    try:
        yield
    finally:
        database.driver_pool = pool


@contextmanager
def route_unavailable(client: TestClient) -> Iterator[None]:
    """The full route can answer nothing but a marked 503: a 200 can then only come from the hot path."""

    def unavailable() -> Database:
        raise ServiceUnavailable(ROUTE_MARKER)

    client.app.dependency_overrides[get_database] = unavailable
    try:
        yield
    finally:
        client.app.dependency_overrides.clear()


def both_paths(client: TestClient, path: str, headers: dict[str, str]) -> tuple:
    client.get(path, headers=headers)  # the first sight of a token is the route's: it verifies and remembers it
    with full_route_only(client):
        full = client.get(path, headers=headers)
    hot = client.get(path, headers=headers)
    return full, hot


def assert_same_answer(full, hot) -> None:
    assert full.status_code == hot.status_code == 200
    assert hot.headers.raw == full.headers.raw
    assert hot.content == full.content


def answered_by_route(response) -> bool:
    """While the route is unavailable it answers its marked 503 or, for a request it refuses before it reaches the
    database, its 4xx; the hot path only ever answers 200."""
    return (
        response.status_code == 503 and response.json()["detail"] == ROUTE_MARKER
    ) or 400 <= response.status_code < 500


# Items


def item_pages(client: TestClient, plan_id: int, unit_id: int) -> list[str]:
    base = f"/v1/plans/{plan_id}/items"
    of_unit = client.get(base, params={"limit": 2, "unit_id": unit_id}, headers=client.office).json()
    assert of_unit["next_cursor"], "the unit has more than one page"
    return [
        base,
        f"{base}?limit=3",
        f"{base}?limit=500",
        f"{base}?unit_id={unit_id}",
        f"{base}?limit=2&unit_id={unit_id}&cursor={of_unit['next_cursor']}",
        f"{base}?cursor={of_unit['next_cursor']}",
    ]


@pytest.fixture(scope="module")
def items_client(quzhou_client: TestClient, auth) -> TestClient:
    quzhou_client.office = auth("office")
    return quzhou_client


@pytest.fixture(scope="module")
def transport_unit(quzhou) -> int:
    return quzhou.unit_id("市交通运输局")


def test_item_pages_from_the_hot_path_are_the_full_routes_bytes_and_headers(
    items_client, quzhou_plan_id, transport_unit, auth
):
    for path in item_pages(items_client, quzhou_plan_id, transport_unit):
        for headers in (items_client.office, auth("viewer"), auth("unit", unit_id=transport_unit)):
            assert_same_answer(*both_paths(items_client, path, headers))


def test_an_item_page_is_answered_by_the_hot_path_without_the_route(items_client, quzhou_plan_id):
    items_client.get(f"/v1/plans/{quzhou_plan_id}/items", headers=items_client.office)
    with route_unavailable(items_client):
        page = items_client.get(f"/v1/plans/{quzhou_plan_id}/items?limit=2", headers=items_client.office)
    assert page.status_code == 200
    assert len(page.json()["data"]) == 2
    assert page.headers["link"].endswith('; rel="next"')


@pytest.mark.parametrize(
    "query",
    [
        "limit=05",
        "limit=0",
        "limit=501",
        "limit=",
        "limit=ten",
        "unit_id=1&unit_id=2",
        "kind=key_task",
        "cursor=forged",
        "cursor=MTAwMDAwMDA",
        "q=ETC",
        "unit_id=99999999999",
        "limit=2&",
        "limit",
    ],
)
def test_an_item_request_the_hot_path_does_not_take_goes_to_the_route(items_client, quzhou_plan_id, query):
    items_client.get(f"/v1/plans/{quzhou_plan_id}/items", headers=items_client.office)
    with route_unavailable(items_client):
        answer = items_client.get(f"/v1/plans/{quzhou_plan_id}/items?{query}", headers=items_client.office)
    assert answered_by_route(answer)


@pytest.mark.parametrize(
    "path", ["/v1/plans/999999/items", "/v1/plans/0{plan}/items", "/v1/plans/{plan}0000000000/items"]
)
def test_an_unknown_plan_or_an_id_in_another_form_goes_to_the_route(items_client, quzhou_plan_id, path):
    items_client.get(f"/v1/plans/{quzhou_plan_id}/items", headers=items_client.office)
    with route_unavailable(items_client):
        answer = items_client.get(path.format(plan=quzhou_plan_id), headers=items_client.office)
    assert answered_by_route(answer)


def test_a_token_not_verified_before_goes_to_the_route(items_client, quzhou_plan_id):
    # A subject of its own: a token minted in the same second for the same subject is the same text, verified before.
    token = mint_token(TasksSettings(environment="test"), role="office", subject=f"never-seen-{uuid.uuid4()}")
    with route_unavailable(items_client):
        answer = items_client.get(f"/v1/plans/{quzhou_plan_id}/items", headers={"Authorization": f"Bearer {token}"})
    assert answered_by_route(answer)


def test_a_request_without_a_token_is_refused_by_the_route(items_client, quzhou_plan_id):
    answer = items_client.get(f"/v1/plans/{quzhou_plan_id}/items")
    assert answer.status_code == 401


# Reports


@pytest.fixture
def reports_client(reporting_client: TestClient, reporting_database: str, quzhou, auth) -> TestClient:
    units = [quzhou.unit_id("市交通运输局"), quzhou.unit_id("市发改委")]
    kilometres = quzhou.indicator_id("T9-expressway-km")
    history = [
        PastReport(
            plan_id=quzhou.plan_id,
            item_id=quzhou.item(key)["id"],
            unit_id=unit,
            period=period,
            role="lead",
            status=ReportStatus.ACCEPTED,
            submitted_at=datetime(2024, 4, 10, 9, 30, tzinfo=UTC),
            due_on=date(2024, 4, 12),
            progress="按计划推进，已完成季度目标",
            percent_complete=40,
            measurements=(PastMeasurement(indicator_id=kilometres, value=120.5, as_of=date(2024, 3, 31)),)
            if key == "T9"
            else (),
            reviewed_by="office",
            reviewed_at=datetime(2024, 4, 20, tzinfo=UTC),
        )
        for key in ("T9", "T10", "T11")
        for unit in units
        for period in ("2024-Q1", "2024-Q2")
    ]

    async def load() -> None:
        database = Database(make_engine(reporting_database))
        try:
            await import_past_reports(database, history, actor="history-import")
        finally:
            await database.dispose()

    asyncio.run(load())
    reporting_client.office = auth("office")
    reporting_client.units = units
    return reporting_client


def test_report_pages_from_the_hot_path_are_the_full_routes_bytes_and_headers(reports_client, quzhou, auth):
    first = reports_client.get("/v1/reports?limit=2", headers=reports_client.office).json()
    unit = reports_client.units[0]
    for path in (
        "/v1/reports",
        "/v1/reports?limit=2",
        f"/v1/reports?limit=2&cursor={first['next_cursor']}",
        f"/v1/reports?plan_id={quzhou.plan_id}&period=2024-Q2&limit=4",
        f"/v1/reports?unit_id={unit}&item_id={quzhou.item('T9')['id']}",
    ):
        for headers in (reports_client.office, auth("viewer")):
            assert_same_answer(*both_paths(reports_client, path, headers))


def test_a_report_page_is_answered_by_the_hot_path_without_the_route(reports_client, quzhou):
    path = f"/v1/reports?plan_id={quzhou.plan_id}&period=2024-Q1"
    reports_client.get(path, headers=reports_client.office)
    with route_unavailable(reports_client):
        page = reports_client.get(path, headers=reports_client.office)
    assert page.status_code == 200
    assert {report["period"] for report in page.json()["data"]} == {"2024-Q1"}


def test_a_unit_token_on_the_report_list_goes_to_the_route(reports_client, auth):
    headers = auth("unit", unit_id=reports_client.units[0])
    reports_client.get("/v1/reports", headers=headers)
    with route_unavailable(reports_client):
        answer = reports_client.get("/v1/reports", headers=headers)
    assert answered_by_route(answer)


@pytest.mark.parametrize("query", ["period=2024 Q1", "period=2024-Q1-extra", "status=accepted", "late=true"])
def test_a_report_request_the_hot_path_does_not_take_goes_to_the_route(reports_client, query):
    reports_client.get("/v1/reports", headers=reports_client.office)
    with route_unavailable(reports_client):
        answer = reports_client.get(f"/v1/reports?{query}", headers=reports_client.office)
    assert answered_by_route(answer)
