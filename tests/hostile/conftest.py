"""One world per service for the hostile tests: the app on its own database, with real objects of unit A.

Each world is built once per session and shared by every hostile test (bad requests must change nothing,
and each test checks that with the world's fingerprint). The peers are the real apps: reporting_api and
notify_api read the Quzhou plan from the real tasks_api (`tasks_server`), notify_api reads reports from a
real reporting_api serving the reporting world's database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from services.common.db import Database, make_engine
from services.notify_api.app import create_app as create_notify_app
from services.notify_api.dispatches.models import Dispatch
from services.notify_api.models import metadata as notify_metadata
from services.reporting_api.app import create_app as create_reporting_app
from services.reporting_api.models import metadata as reporting_metadata
from services.tasks_api.app import create_app as create_tasks_app
from services.tasks_api.models import metadata as tasks_metadata
from services.tasks_api.plans.files.validation import parse_plan_file
from services.tasks_api.plans.service import import_plan
from tests.conftest import QUZHOU_PLAN, Headers, Quzhou, reporting_settings, serve_in_thread, tasks_settings
from tests.databases import TestDatabases
from tests.hostile.world import MARKER, World, created_id
from tests.notify_api.conftest import _receiver_server, notify_settings, receiver  # noqa: F401 - receiver fixtures
from tests.notify_api.outbox import add_notification

UNIT_A = "市交通运输局"  # leads task 9 (roads) of the Quzhou plan
PERIOD = "2024-Q1"
EVIDENCE_BYTES = b"%PDF-1.7\n" + MARKER.encode() + b"\n%%EOF\n"  # a file of unit A, its text inside


def _migrated(databases: TestDatabases, service: str) -> str:
    return databases.migrated(f"hostile_{service.split('_')[0]}", service)


def _started(app) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    client.__enter__()
    return client


class Cast:
    """Unit A (responsible for task 9) and unit B (no duty on task 9), as the plan in `client` has them."""

    def __init__(self, client: TestClient | httpx.Client, auth: Headers) -> None:
        quzhou = Quzhou(client, auth("viewer"))  # type: ignore[arg-type]
        self.plan_id = quzhou.plan_id
        self.t9 = quzhou.item("T9")["id"]
        self.a = quzhou.unit_id(UNIT_A)
        duties = client.get(f"/v1/items/{self.t9}/responsibilities", headers=auth("viewer")).json()["data"]
        self.responsibility_of_a = next(r["id"] for r in duties if r["unit_id"] == self.a)
        units = client.get("/v1/units", params={"limit": 500}, headers=auth("viewer")).json()["data"]
        self.b = next(u["id"] for u in units if u["id"] not in {r["unit_id"] for r in duties})
        self.indicator = client.get(f"/v1/items/{self.t9}/indicators", headers=auth("viewer")).json()["data"][0]["id"]


@pytest.fixture(scope="session")
def tasks_world(databases: TestDatabases, auth: Headers) -> Iterator[World]:
    yield from build_tasks_world(databases, auth)


@pytest.fixture(scope="session")
def _reporting_database(databases: TestDatabases) -> str:
    return _migrated(databases, "reporting_api")


@pytest.fixture(scope="session")
def reporting_world(_reporting_database: str, tasks_server: str, auth: Headers) -> Iterator[World]:
    yield from build_reporting_world(_reporting_database, tasks_server, auth)


@pytest.fixture(scope="session")
def notify_world(
    databases: TestDatabases, tasks_server: str, reporting_world: World, _reporting_database: str, auth: Headers
) -> Iterator[World]:
    yield from build_notify_world(databases, tasks_server, reporting_world, _reporting_database, auth)


def build_tasks_world(databases: TestDatabases, auth: Headers) -> Iterator[World]:
    """tasks_api on its own copy of the Quzhou plan, with a milestone and an extension request of unit A."""
    url = _migrated(databases, "tasks_api")

    async def load() -> None:
        database = Database(make_engine(url))
        await import_plan(database, plan_file=parse_plan_file(QUZHOU_PLAN.read_bytes()), actor="hostile-seed")
        await database.dispose()

    asyncio.run(load())
    client = _started(create_tasks_app(tasks_settings(url)))
    cast = Cast(client, auth)
    office, unit_a = auth("office"), auth("unit", unit_id=cast.a)
    milestone = created_id(
        client.post(
            f"/v1/items/{cast.t9}/milestones", headers=office, json={"title": "杭衢高铁通车", "due_on": "2025-06-30"}
        )
    )
    extension = created_id(
        client.post(
            f"/v1/items/{cast.t9}/extensions", headers=unit_a, json={"requested_due_on": "2026-06-30", "reason": MARKER}
        )
    )
    leader = client.post(
        f"/v1/items/{cast.t9}/leaders",
        headers=office,
        json={"leader_id": client.get("/v1/leaders", headers=office).json()["data"][0]["id"]},
    )
    group = client.get("/v1/groups", headers=office).json()["data"][0]["id"]
    member = client.get(f"/v1/groups/{group}/members", headers=office).json()["data"][0]["id"]
    sub_unit = created_id(
        client.post("/v1/units", headers=office, json={"name": "市港航中心", "kind": "department", "parent_id": cast.a})
    )
    delegation = created_id(
        client.post(f"/v1/items/{cast.t9}/delegations", headers=unit_a, json={"to_unit_id": sub_unit, "scope": MARKER})
    )
    closeout = created_id(
        client.post(
            f"/v1/items/{cast.t9}/closeout",
            json={"summary": MARKER},
            headers={**unit_a, "If-Match": client.get(f"/v1/items/{cast.t9}", headers=unit_a).headers["ETag"]},
        )
    )
    evidence = created_id(
        client.post(
            f"/v1/closeouts/{closeout}/evidence",
            params={"filename": f"{MARKER}.pdf"},
            content=EVIDENCE_BYTES,
            headers=unit_a,
        )
    )
    ids = {
        "plan_id": cast.plan_id,
        "q": "推进",  # a search (检索)
        "item_id": cast.t9,
        "indicator_id": cast.indicator,
        "closeout_id": closeout,
        "delegation_id": delegation,
        "evidence_id": evidence,
        "milestone_id": milestone,
        "leader_id": leader.json()["leader_id"],
        "group_id": group,
        "member_id": member,
        "responsibility_id": cast.responsibility_of_a,
        "extension_id": extension,
        "unit_id": cast.a,
        "entity": "extension",
        "entity_id": extension,
        "from": "2025-01-01",
        "to": "2025-12-31",
    }
    yield World("tasks_api", client, tasks_metadata, ids, unit_a=cast.a, unit_b=cast.b)
    client.__exit__(None, None, None)


def build_reporting_world(_reporting_database: str, tasks_server: str, auth: Headers) -> Iterator[World]:
    """reporting_api reading the Quzhou plan from the real tasks_api, with a report filed by unit A."""
    client = _started(create_reporting_app(reporting_settings(_reporting_database, tasks_server)))
    with httpx.Client(base_url=tasks_server) as tasks:
        cast = Cast(tasks, auth)
    report = created_id(
        client.post(
            "/v1/reports",
            headers=auth("unit", unit_id=cast.a),
            json={"item_id": cast.t9, "period": PERIOD, "progress": MARKER},
        )
    )
    adjustment = created_id(
        client.post(
            f"/v1/plans/{cast.plan_id}/assessment/adjustments",
            params={"year": 2024},
            headers=auth("office"),
            json={"unit_id": cast.a, "points": 1, "reason": "表扬"},
        )
    )
    evidence = created_id(
        client.post(
            f"/v1/reports/{report}/evidence",
            params={"filename": f"{MARKER}.pdf"},
            content=EVIDENCE_BYTES,
            headers=auth("unit", unit_id=cast.a),
        )
    )
    instruction = created_id(
        client.post(
            "/v1/instructions",
            headers=auth("office"),
            json={"item_id": cast.t9, "text": MARKER, "author_name": "张三"},
        )
    )
    replied = client.post(
        f"/v1/instructions/{instruction}/replies", headers=auth("unit", unit_id=cast.a), json={"text": MARKER}
    )
    assert replied.status_code == 201, replied.text
    ids = {
        "plan_id": cast.plan_id,
        "q": "推进",  # a search (检索)
        "reply_id": replied.json()["replies"][-1]["id"],
        "period": PERIOD,
        "report_id": report,
        "evidence_id": evidence,
        "instruction_id": instruction,
        "item_id": cast.t9,
        "year": 2024,
        "adjustment_id": adjustment,
        "entity": "assessment_adjustment",
        "entity_id": adjustment,
        "unit_id": cast.a,
        "from": "2024-01-11",
        "to": "2024-12-31",
    }
    yield World("reporting_api", client, reporting_metadata, ids, unit_a=cast.a, unit_b=cast.b)
    client.__exit__(None, None, None)


def build_notify_world(
    databases: TestDatabases, tasks_server: str, reporting_world: World, _reporting_database: str, auth: Headers
) -> Iterator[World]:
    """notify_api with a contact, a notification, a feed token and a pause of unit A, and a subscription."""
    url = _migrated(databases, "notify_api")
    with serve_in_thread(create_reporting_app(reporting_settings(_reporting_database, tasks_server))) as reporting:
        client = _started(create_notify_app(notify_settings(url, tasks_server, reporting)))
        a, b, office = reporting_world.unit_a, reporting_world.unit_b, auth("office")
        unit_a = auth("unit", unit_id=a)
        contact = created_id(
            client.post(
                "/v1/contacts",
                headers=unit_a,
                json={
                    "owner_kind": "unit",
                    "owner_id": a,
                    "channel": "webhook",
                    "target": "https://hooks.example.cn/a",
                    "label": MARKER,
                },
            )
        )
        ids = {
            "plan_id": reporting_world.ids["plan_id"],
            "deadline_kind": "item",
            "unit_id": a,
            "contact_id": contact,
            "entity": "contact",
            "entity_id": contact,
            "notification_id": _notification_of(client, a, contact),
            "dispatch_id": _dispatch(client),
            "token_id": created_id(client.post(f"/v1/units/{a}/feed-tokens", headers=unit_a)),
            "pause_id": created_id(
                client.post(
                    "/v1/pauses",
                    headers=office,
                    json={"plan_id": reporting_world.ids["plan_id"], "unit_id": a, "reason": "防汛期间暂停"},
                )
            ),
            "subscription_id": created_id(
                client.post(
                    "/v1/subscriptions",
                    headers=office,
                    json={
                        "url": "https://hooks.example.cn/events",
                        "event_types": ["report.submitted"],
                        "description": "市大数据局",
                    },
                )
            ),
        }
        yield World("notify_api", client, notify_metadata, ids, unit_a=a, unit_b=b)
        client.__exit__(None, None, None)


def _notification_of(client: TestClient, unit_id: int, contact_id: int) -> int:
    """A reminder to unit A in the outbox (the planner's output, written directly: its rules are tested elsewhere)."""

    async def write() -> int:
        row = await add_notification(
            client.app.state.database,
            contact_id=contact_id,
            channel="webhook",
            unit_id=unit_id,
            payload={"subject": MARKER, "text": MARKER},
        )
        return row["id"]

    return client.portal.call(write)


def _dispatch(client: TestClient) -> int:
    """A finished dispatch run, written directly (running one would deliver to the contacts)."""
    table = Dispatch.__table__
    moment = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)

    async def write() -> int:
        async with client.app.state.database.transaction() as conn:
            return (
                await conn.execute(
                    table.insert()
                    .values(as_of=moment, started_at=moment, finished_at=moment, started_by="hostile-seed")
                    .returning(table.c.id)
                )
            ).scalar_one()

    return client.portal.call(write)


@pytest.fixture
def world(request: pytest.FixtureRequest):
    """world(service) → that service's World."""
    return lambda service: request.getfixturevalue(f"{service.split('_')[0]}_world")
