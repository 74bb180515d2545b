"""tasks_api's transactional outbox: an event is written exactly when its change commits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from services.common.db import Database, make_engine
from services.common.events.catalogue import CATALOGUE
from services.common.outbox import notify_client, relay_outbox
from services.common.problems import Conflict
from services.tasks_api.assignments import service as assignments
from services.tasks_api.db import outbox_events
from tests.conftest import tasks_settings
from tests.problems import assert_problem
from tests.tasks_api.factories import import_small_plan


def events(url: str, table: Table = outbox_events, type_: str | None = None) -> list[dict[str, Any]]:
    """The outbox rows of the database at `url`, oldest first."""

    async def read() -> list[dict[str, Any]]:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:
            query = select(table).order_by(table.c.id)
            if type_ is not None:
                query = query.where(table.c.type == type_)
            rows = [dict(r) for r in (await conn.execute(query)).mappings()]
        await engine.dispose()
        return rows

    return asyncio.run(read())


def assert_as_declared(found: list[dict[str, Any]]) -> None:
    """Each outbox event's data has exactly the fields of its type's payload model in the catalogue, each valid."""
    for event in found:
        declared = CATALOGUE[event["type"]].data
        assert declared.model_validate(event["data"]).model_dump(mode="json").keys() == event["data"].keys()


def relay(url: str, notify_url: str, table: Table = outbox_events, source: str = "tasks_api") -> int:
    """Run the relay once against the database at `url`, publishing to `notify_url`."""

    async def run() -> int:
        db = Database(make_engine(url))
        client = notify_client(tasks_settings(url).model_copy(update={"peer_budget_seconds": 1.0}), notify_url)
        try:
            return await relay_outbox(db, table, client, limit=100, source=source)
        finally:
            await client.aclose()
            await db.dispose()

    return asyncio.run(run())


def mark_unpublished(url: str, table: Table = outbox_events) -> None:
    """As if the relay died after its POSTs and before it marked them published."""

    async def run() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.begin() as conn:
            await conn.execute(update(table).values(published_at=None))
        await engine.dispose()

    asyncio.run(run())


def instant(text: str) -> datetime:
    """An ISO instant as the API writes it; without an offset it is UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@pytest.fixture
def plan(tasks_client, auth):
    return import_small_plan(tasks_client, auth)


def assign(client, auth, item_id, unit_id, role="co"):
    return client.post(
        f"/v1/items/{item_id}/responsibilities", json={"unit_id": unit_id, "role": role}, headers=auth("office")
    )


def ask_extension(client, auth, plan):
    """市交通运输局 asks to move T1's deadline to 2021-03-31 (延期申请)."""
    return client.post(
        f"/v1/items/{plan.items['T1']}/extensions",
        json={"reason": "征地延误", "requested_due_on": "2021-03-31"},
        headers=auth("unit", unit_id=plan.units["市交通运输局"]),
    )


def decide(client, auth, asked, *, approve):
    return client.post(
        f"/v1/extensions/{asked.json()['id']}/decision", json={"approve": approve}, headers=auth("office")
    )


def test_a_plan_import_emits_one_item_assigned_event_per_new_responsibility(tasks_client, tasks_database, plan):
    assigned = events(tasks_database, type_="item.assigned")
    assert sorted((e["data"]["item_key"], e["data"]["unit_name"], e["data"]["role"]) for e in assigned) == [
        ("T1", "市交通运输局", "lead"),
        ("T1", "市发改委", "co"),
        ("T2", "市水利局", "lead"),
        ("T3", "市发改委", "lead"),
    ]
    first = next(e for e in assigned if e["data"]["responsibility_id"] == plan.responsibilities["T1", "市发改委"])
    assert first["data"] | {"assigned_at": None} == {
        "responsibility_id": plan.responsibilities["T1", "市发改委"],
        "plan_id": plan.plan_id,
        "item_id": plan.items["T1"],
        "item_key": "T1",
        "item_number": "1",
        "item_title": "建设快速路",
        "item_due_on": "2020-12-31",
        "item_status": "open",
        "unit_id": plan.units["市发改委"],
        "unit_name": "市发改委",
        "role": "co",
        "assigned_at": None,
    }
    assert all(e["published_at"] is None and e["attempts"] == 0 and len(e["event_id"]) == 36 for e in assigned)
    assert datetime.fromisoformat(first["data"]["assigned_at"]).tzinfo is not None, "instants travel with an offset"


def test_importing_the_same_plan_again_emits_nothing_new(tasks_client, tasks_database, auth, plan):
    before = len(events(tasks_database))
    import_small_plan(tasks_client, auth)
    assert len(events(tasks_database)) == before


def test_assigning_a_unit_emits_item_assigned_in_the_same_transaction(tasks_client, tasks_database, auth, plan):
    response = assign(tasks_client, auth, plan.items["T3"], plan.units["市水利局"])
    assert response.status_code == 201, response.text
    event = events(tasks_database)[-1]
    assert event["type"] == "item.assigned"
    assert event["data"]["responsibility_id"] == response.json()["id"]
    assert (event["data"]["item_id"], event["data"]["unit_id"], event["data"]["role"]) == (
        plan.items["T3"],
        plan.units["市水利局"],
        "co",
    )
    assert instant(event["data"]["assigned_at"]) == instant(response.json()["assigned_at"])


def test_a_refused_assignment_emits_no_event(tasks_client, tasks_database, auth, plan):
    before = events(tasks_database)
    assert_problem(assign(tasks_client, auth, plan.items["T1"], plan.units["市发改委"]), 409)
    assert events(tasks_database) == before


def test_a_failure_after_the_emit_rolls_back_the_event_with_the_change(
    tasks_client, tasks_database, auth, plan, monkeypatch
):
    real_emit = assignments.emit

    async def emit_then_fail(*args, **kwargs):
        await real_emit(*args, **kwargs)
        raise Conflict("forced failure after the event was written")

    monkeypatch.setattr(assignments, "emit", emit_then_fail)
    before = events(tasks_database)
    assert_problem(assign(tasks_client, auth, plan.items["T3"], plan.units["市水利局"]), 409)
    assert events(tasks_database) == before
    duties = tasks_client.get(f"/v1/items/{plan.items['T3']}/responsibilities", headers=auth("office")).json()
    assert [d["unit_id"] for d in duties["data"]] == [plan.units["市发改委"]]


def test_approving_an_extension_emits_deadline_extended(tasks_client, tasks_database, auth, plan):
    asked = ask_extension(tasks_client, auth, plan)
    decided = decide(tasks_client, auth, asked, approve=True)
    assert decided.status_code == 200, decided.text
    event = events(tasks_database)[-1]
    assert event["type"] == "deadline.extended"
    assert {
        k: event["data"][k]
        for k in (
            "extension_id",
            "item_id",
            "item_number",
            "milestone_id",
            "unit_id",
            "previous_due_on",
            "due_on",
            "decided_by",
        )
    } == {
        "extension_id": asked.json()["id"],
        "item_id": plan.items["T1"],
        "item_number": "1",
        "milestone_id": None,
        "unit_id": plan.units["市交通运输局"],
        "previous_due_on": "2020-12-31",
        "due_on": "2021-03-31",
        "decided_by": "test-office-0",
    }


def test_deadline_extended_names_the_unit_and_the_item_as_the_extension_left_it(
    tasks_client, tasks_database, auth, plan
):
    asked = ask_extension(tasks_client, auth, plan)
    decide(tasks_client, auth, asked, approve=True)
    data = events(tasks_database)[-1]["data"]
    assert (data["unit_name"], data["item_title"], data["item_due_on"], data["item_status"]) == (
        "市交通运输局",
        "建设快速路",
        "2021-03-31",
        "open",
    )


def test_every_assignment_and_extension_event_is_what_its_catalogue_model_declares(
    tasks_client, tasks_database, auth, plan
):
    asked = ask_extension(tasks_client, auth, plan)
    decide(tasks_client, auth, asked, approve=True)
    found = events(tasks_database)
    assert {e["type"] for e in found} == {"item.assigned", "deadline.extended"}
    assert_as_declared(found)


def test_rejecting_an_extension_emits_nothing(tasks_client, tasks_database, auth, plan):
    asked = ask_extension(tasks_client, auth, plan)
    before = events(tasks_database)
    decided = decide(tasks_client, auth, asked, approve=False)
    assert decided.status_code == 200, decided.text
    assert events(tasks_database) == before


def test_the_relay_keeps_events_when_notify_api_cannot_be_reached(tasks_client, tasks_database, plan):
    assert relay(tasks_database, "http://127.0.0.1:9") == 0
    rows = events(tasks_database)
    assert all(row["published_at"] is None for row in rows)
    assert [row["attempts"] for row in rows[:2]] == [1, 0], "the first event is tried, the rest wait behind it"
