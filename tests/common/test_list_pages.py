"""List pages (items, reports) run their statement on the driver pool on PostgreSQL (`Database.fetch`: asyncpg,
prepared once per connection) and on a read connection of the engine on SQLite. Both ways give the same bytes and
headers, for every filter and caller, and a failing read answers the problem the engine's read would."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from services.common.db import Database, make_engine
from services.common.driver_reads import NO_DRIVER_POOL
from services.common.problems import ServiceUnavailable
from services.reporting_api.reports.history import PastMeasurement, PastReport, import_past_reports
from services.reporting_api.reports.models import ReportStatus


@contextmanager
def engine_only(client: TestClient) -> Iterator[None]:
    """List pages read on the engine, as on SQLite (on SQLite nothing changes)."""
    database = client.app.state.database
    pool, database.driver_pool = database.driver_pool, NO_DRIVER_POOL
    try:
        yield
    finally:
        database.driver_pool = pool


def both_ways(client: TestClient, path: str, headers: dict[str, str]) -> tuple:
    same_id = {**headers, "X-Request-ID": "both-ways"}  # the one header that differs per request otherwise
    with engine_only(client):
        engine = client.get(path, headers=same_id)
    return engine, client.get(path, headers=same_id)


def assert_same_answer(engine, pool) -> None:
    assert engine.status_code == pool.status_code == 200
    assert pool.headers.raw == engine.headers.raw
    assert pool.content == engine.content


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


def test_item_pages_are_the_same_bytes_and_headers_on_the_pool_and_on_the_engine(
    items_client, quzhou_plan_id, transport_unit, auth
):
    for path in item_pages(items_client, quzhou_plan_id, transport_unit):
        for headers in (items_client.office, auth("viewer"), auth("unit", unit_id=transport_unit)):
            assert_same_answer(*both_ways(items_client, path, headers))


@pytest.mark.parametrize(
    "query",
    [
        "kind=task",
        "status=open",
        "role=lead&unit_id={unit}",
        "role=co",
        "due_before=2025-12-31&due_after=2020-01-01",
        "q=交通",
        "q=0%25",
        "parent_id={parent}",
        "kind=task&status=open&unit_id={unit}&role=lead&limit=2",
    ],
)
def test_every_item_filter_reads_the_same_on_the_pool_and_on_the_engine(
    items_client, quzhou, quzhou_plan_id, transport_unit, query
):
    query = query.format(unit=transport_unit, parent=quzhou.item("T9")["parent_id"] or quzhou.item("T9")["id"])
    engine, pool = both_ways(items_client, f"/v1/plans/{quzhou_plan_id}/items?{query}", items_client.office)
    assert_same_answer(engine, pool)
    assert pool.json()["data"], "a filter that finds nothing proves nothing"


def test_an_item_page_filters_by_text_literally(items_client, quzhou_plan_id):
    found = items_client.get(f"/v1/plans/{quzhou_plan_id}/items?q=0%25&limit=500", headers=items_client.office)
    every = items_client.get(f"/v1/plans/{quzhou_plan_id}/items?limit=500", headers=items_client.office)
    texts = {i["id"]: f"{i['number']}{i['title']}{i['text']}" for i in every.json()["data"]}
    assert [i["id"] for i in found.json()["data"]] == [id_ for id_, text in texts.items() if "0%" in text]


def test_an_empty_item_page_of_an_unknown_plan_is_404(items_client):
    assert items_client.get("/v1/plans/999999/items", headers=items_client.office).status_code == 404


def test_a_request_without_a_token_is_refused(items_client, quzhou_plan_id):
    assert items_client.get(f"/v1/plans/{quzhou_plan_id}/items").status_code == 401


def test_a_page_read_on_the_driver_pool_of_a_database_that_is_not_there_is_unavailable():
    # No server listens on port 1, whatever the suite's database: the driver pool's connect fails (OSError).
    async def read() -> None:
        database = Database(make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none"))
        await database.open_driver_pool()
        try:
            await database.fetch((sa.select(sa.literal(1)), {}), dict)
        finally:
            await database.dispose()

    with pytest.raises(ServiceUnavailable):
        asyncio.run(read())


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


def test_report_pages_are_the_same_bytes_and_headers_on_the_pool_and_on_the_engine(reports_client, quzhou, auth):
    first = reports_client.get("/v1/reports?limit=2", headers=reports_client.office).json()
    unit = reports_client.units[0]
    for path in (
        "/v1/reports",
        "/v1/reports?limit=2",
        f"/v1/reports?limit=2&cursor={first['next_cursor']}",
        f"/v1/reports?plan_id={quzhou.plan_id}&period=2024-Q2&limit=4",
        f"/v1/reports?unit_id={unit}&item_id={quzhou.item('T9')['id']}",
        "/v1/reports?status=accepted&late=false",
    ):
        for headers in (reports_client.office, auth("viewer"), auth("unit", unit_id=unit)):
            assert_same_answer(*both_ways(reports_client, path, headers))
