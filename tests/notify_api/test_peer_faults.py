"""When tasks_api or reporting_api is down, slow or broken, every notify_api operation that asks it answers 503
within the budget, plans nothing into the outbox, and works again by itself once the peer is back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.common import clock
from services.notify_api.app import create_app
from services.notify_api.deps import ReportingDep, TasksDep
from services.notify_api.models import metadata
from services.notify_api.worker import worker as notify_worker
from tests.apps import app_as_new
from tests.databases import empty_tables
from tests.faults import (
    PEER_FAULTS,
    PEER_LIMITS,
    SLOW_FAULTS,
    FaultyTransport,
    PeerCall,
    check_ends_within_budget,
    check_survives_peer_fault,
    dependency_of,
    faults_here,
    operations_depending_on,
    snapshot,
)
from tests.notify_api.conftest import add_contact, notify_settings


@dataclass
class Scene:
    """notify_api with a webhook contact of the lead unit of a real deadline, three days before it."""

    client: TestClient
    office: dict[str, str]
    unit: dict[str, str]
    plan_id: int
    unit_id: int
    as_of: date
    feed_token: str = field(default="")

    def get(self, path: str, **params: object) -> httpx.Response:
        return self.client.get(path, params=params, headers=self.office)


def with_feed_token(s: Scene) -> None:
    created = s.client.post(f"/v1/units/{s.unit_id}/feed-tokens", headers=s.unit)
    assert created.status_code == 201, created.text
    s.feed_token = created.json()["token"]


DISPATCH = PeerCall(
    lambda s: s.client.post(
        "/v1/dispatches",
        json={"as_of": f"{s.as_of}T10:00:00+08:00"},
        headers={**s.office, "Idempotency-Key": f"dispatch-{s.as_of}"},
    ),
    201,
)
UPCOMING = PeerCall(lambda s: s.get("/v1/deadlines/upcoming", as_of=s.as_of, days=30), 200)
BULLETIN = PeerCall(lambda s: s.get("/v1/bulletins", plan_id=s.plan_id, date=s.as_of + timedelta(days=30)), 200)
BULLETIN_DOCUMENT = PeerCall(
    lambda s: s.get("/v1/bulletins.docx", plan_id=s.plan_id, date=s.as_of + timedelta(days=30)), 200
)
CALENDAR = PeerCall(
    lambda s: s.client.get(f"/v1/calendars/units/{s.unit_id}.ics", params={"token": s.feed_token}),
    200,
    prepare=with_feed_token,
)

# Each operation that asks tasks_api, sent so that it must ask, and the status it answers once tasks_api is up.
TASKS_CALLS: dict[str, PeerCall] = {
    "create_dispatch": DISPATCH,
    "list_upcoming_deadlines": UPCOMING,
    "get_bulletin": BULLETIN,
    "get_bulletin_document": BULLETIN_DOCUMENT,
    "list_reminder_rules": PeerCall(lambda s: s.get(f"/v1/plans/{s.plan_id}/reminder-rules"), 200),
    "put_reminder_rule": PeerCall(
        lambda s: s.client.put(
            f"/v1/plans/{s.plan_id}/reminder-rules/item",
            json={"quiet_start": "21:00"},
            headers={**s.office, "If-Match": '"0"'},
        ),
        200,
    ),
    "create_pause": PeerCall(
        lambda s: s.client.post("/v1/pauses", json={"plan_id": s.plan_id, "unit_id": s.unit_id}, headers=s.office), 201
    ),
    "create_feed_token": PeerCall(lambda s: s.client.post(f"/v1/units/{s.unit_id}/feed-tokens", headers=s.unit), 201),
    "create_contact": PeerCall(
        lambda s: s.client.post(
            "/v1/contacts",
            headers=s.office,
            json={"owner_kind": "unit", "owner_id": s.unit_id, "channel": "email", "target": "faults@example.cn"},
        ),
        201,
    ),
    "get_unit_calendar": CALENDAR,
    "create_urging": PeerCall(
        lambda s: s.client.post("/v1/urgings", json={"unit_ids": [s.unit_id], "message": "请抓紧"}, headers=s.office),
        200,
    ),
}
# The same for reporting_api, which says who has not reported yet.
REPORTING_CALLS: dict[str, PeerCall] = {
    "create_dispatch": DISPATCH,
    "list_upcoming_deadlines": UPCOMING,
    "get_bulletin": BULLETIN,
    "get_bulletin_document": BULLETIN_DOCUMENT,
    "get_unit_calendar": CALENDAR,
}
ASKED = [("tasks_api", name) for name in sorted(TASKS_CALLS)] + [
    ("reporting_api", name) for name in sorted(REPORTING_CALLS)
]
# The operations tested with the faults that take time: the dispatch (a write) and the feed (a read of both peers).
TIMED = [("tasks_api", "create_dispatch"), ("reporting_api", "create_dispatch"), ("tasks_api", "get_unit_calendar")]
CASES = [(*asked, fault) for asked in ASKED for fault in faults_here(PEER_FAULTS)] + [
    (*timed, fault) for timed in TIMED for fault in faults_here(SLOW_FAULTS)
]


@pytest.fixture(scope="module")
def transports() -> dict[str, FaultyTransport]:
    """One transport per peer for the module's apps, and so one app, reused test after test (tests/apps.py)."""
    return {"tasks_api": FaultyTransport(), "reporting_api": FaultyTransport()}


@pytest.fixture(scope="module")
def create_faulty_app(transports: dict[str, FaultyTransport]) -> Callable[..., FastAPI]:
    return partial(create_app, tasks_transport=transports["tasks_api"], reporting_transport=transports["reporting_api"])


@pytest.fixture
def start(notify_database, tasks_server, reporting_peer, transports, create_faulty_app):
    """start(**settings) → notify_api on the emptied database, its peers behind the faulty transports."""
    empty_tables(notify_database, metadata)
    for transport in transports.values():
        transport.fault = None
    with ExitStack() as stack:

        def started(**overrides: object) -> TestClient:
            settings = notify_settings(notify_database, tasks_server, reporting_peer, **{**PEER_LIMITS, **overrides})
            app = stack.enter_context(app_as_new(create_faulty_app, settings))
            return stack.enter_context(TestClient(app, raise_server_exceptions=False))

        yield started


@pytest.fixture
def client(start):
    return start()


@pytest.fixture
def scene(client, auth, quzhou, tasks_server, receiver) -> Scene:
    deadlines = httpx.get(
        f"{tasks_server}/v1/deadlines",
        params={"from": "2020-03-01", "to": "2020-12-31", "limit": 500},
        headers=auth("viewer"),
    ).json()
    deadline = next(d for d in deadlines["data"] if any(u["role"] == "lead" for u in d["units"]))
    unit_id = next(u["unit_id"] for u in deadline["units"] if u["role"] == "lead")
    add_contact(client, auth("office"), "unit", unit_id, "webhook", receiver.endpoint("hooks/lead"))
    return Scene(
        client,
        auth("office"),
        auth("unit", unit_id=unit_id),
        quzhou.plan_id,
        unit_id,
        date.fromisoformat(deadline["due_on"]) - timedelta(days=3),
    )


def test_every_operation_that_holds_a_peer_client_is_under_fault_test():
    app = create_app()
    assert operations_depending_on(app, dependency_of(TasksDep)) == set(TASKS_CALLS)
    assert operations_depending_on(app, dependency_of(ReportingDep)) == set(REPORTING_CALLS)


@pytest.mark.parametrize(("peer", "operation", "fault"), CASES)
def test_an_operation_asking_a_failing_peer_answers_503_in_budget_writes_nothing_and_recovers(
    scene, transports, notify_database, peer, operation, fault
):
    call = (TASKS_CALLS if peer == "tasks_api" else REPORTING_CALLS)[operation]
    check_survives_peer_fault(
        call,
        scene,
        transports[peer],
        fault,
        peer=peer,
        budget=PEER_LIMITS["peer_budget_seconds"],
        database_url=notify_database,
        metadata=metadata,
    )


@pytest.mark.parametrize("peer", ["tasks_api", "reporting_api"])
def test_a_dispatch_ends_within_the_budget_when_a_peer_answers_each_call_in_time_but_not_all(scene, transports, peer):
    check_ends_within_budget(DISPATCH, scene, transports[peer], budget=PEER_LIMITS["peer_budget_seconds"])


def test_a_dispatch_after_the_peer_is_back_plans_the_reminders_the_failed_one_did_not(scene, transports):
    transports["reporting_api"].fault = "refuse"
    assert DISPATCH.send(scene).status_code == 503
    transports["reporting_api"].fault = None
    assert DISPATCH.send(scene).status_code == 201
    outbox = scene.client.get("/v1/notifications", params={"unit_id": scene.unit_id}, headers=scene.office).json()
    assert outbox["data"]


def _dispatches(url: str) -> list:
    return snapshot(url, metadata)["dispatches"]


@pytest.mark.parametrize("peer", ["tasks_api", "reporting_api"])
def test_the_workers_interval_dispatch_outlives_a_peer_that_is_down_and_dispatches_once_it_is_back(
    start, transports, notify_database, tasks_server, reporting_peer, auth, quzhou, receiver, peer
):
    add_contact(
        start(), auth("office"), "unit", quzhou.unit_id("市交通运输局"), "webhook", receiver.endpoint("hooks/transport")
    )  # someone to remind, so that the planner asks the peers
    settings = notify_settings(
        notify_database, tasks_server, reporting_peer, **{**PEER_LIMITS, "dispatch_interval_seconds": 60}
    )

    async def interval(at):
        async with notify_worker(settings, transports["tasks_api"], transports["reporting_api"]) as worker:
            await worker.schedule_periodic()
            with clock.frozen(at):
                return await worker.run_once()

    transports[peer].fault = "refuse"
    first = clock.now() + timedelta(minutes=1)
    assert asyncio.run(interval(first)) == 2  # the failed dispatch (queued for the next interval) and the delivery
    assert _dispatches(notify_database) == []
    transports[peer].fault = None
    assert asyncio.run(interval(first + timedelta(minutes=1))) == 2
    assert _dispatches(notify_database)
