"""Bulk urging (批量催办): the office names items and units; each unit reached gets one notice listing its items,
delivered as any notice, with a result per unit (and per item or unit that could not be urged)."""

from __future__ import annotations

import pytest

from services.common import clock
from services.common.bulk import MAX_ELEMENTS
from services.notify_api.deliveries.jobs import deliver_due
from services.notify_api.dispatches.service import TARGET_SOURCES
from tests.notify_api.conftest import add_contact, outbox
from tests.problems import assert_problem

TRANSPORT, TOURISM = "市交通运输局", "市文旅局"  # task 9's lead and co-operating units


@pytest.fixture
def t9(quzhou):
    return quzhou.item("T9")["id"]


@pytest.fixture
def transport(notify_client, auth, quzhou, receiver):
    """The lead unit of task 9, with a webhook contact at the local receiver; 市文旅局 has no contact."""
    unit_id = quzhou.unit_id(TRANSPORT)
    contact = add_contact(notify_client, auth("office"), "unit", unit_id, "webhook", receiver.endpoint("hooks/t"))
    receiver.secrets["hooks/t"] = contact["secret"]
    return unit_id


def urge(client, headers, **body):
    return client.post("/v1/urgings", json={"message": "请于本周五前报送进展情况。", **body}, headers=headers)


def history(client, auth, unit_id):
    response = client.get(f"/v1/history/urging/{unit_id}", headers=auth("office"))
    assert response.status_code == 200, response.text
    return response.json()["data"]


def deliver(client):
    state = client.app.state
    return client.portal.call(
        lambda: deliver_due(state.database, state.settings, sources=TARGET_SOURCES, now=clock.now(), limit=50)
    )


def test_each_unit_gets_one_notice_and_each_refusal_says_why(notify_client, auth, quzhou, receiver, transport, t9):
    tourism = quzhou.unit_id(TOURISM)
    response = urge(notify_client, auth("office"), item_ids=[t9, 999999])
    assert response.status_code == 200, response.text
    body = response.json()
    found = {(r["kind"], r["id"]): r for r in body["results"]}
    assert found["unit", transport]["status"] == "ok"
    assert (found["unit", transport]["item_ids"], found["unit", transport]["notifications"]) == ([t9], 1)
    assert found["unit", tourism]["problem"]["status"] == 409  # no contact: its notice is not written
    assert found["item", 999999]["problem"]["status"] == 404
    assert (body["succeeded"], body["refused"]) == (1, 2)
    [row] = outbox(notify_client, purpose="urging")
    assert (row["recipient_id"], row["level"], row["item_id"]) == (transport, "yellow", t9)
    assert row["payload"]["data"]["urging_id"] == body["urging_id"]
    [entry] = history(notify_client, auth, transport)
    assert entry["changes"]["items"] == [None, [t9]] and entry["changes"]["request_id"] == [None, body["request_id"]]
    assert history(notify_client, auth, tourism) == []
    # Delivered through the ordinary path: signed, recorded, readable by the unit.
    assert deliver(notify_client).sent == 1
    [call] = receiver.calls_to("hooks/t")
    assert call.verified and call.json()["type"] == "reminder.yellow"  # a yellow notice (黄色催办单)
    assert "催办" in call.json()["data"]["subject"] and call.json()["data"]["items"][0]["item_id"] == t9
    mine = notify_client.get("/v1/notifications", headers=auth("unit", unit_id=transport)).json()["data"]
    assert [(n["id"], n["status"]) for n in mine] == [(row["id"], "delivered")]


def test_a_unit_named_is_urged_about_every_open_item_of_its_own(notify_client, auth, quzhou, transport, t9):
    response = urge(notify_client, auth("office"), unit_ids=[transport, transport])
    [result] = response.json()["results"]
    assert result["status"] == "ok" and t9 in result["item_ids"] and len(result["item_ids"]) > 1
    assert len(result["item_ids"]) == len(set(result["item_ids"]))
    [row] = outbox(notify_client, purpose="urging")
    assert len(row["payload"]["data"]["items"]) == len(result["item_ids"])


def test_subscribers_hear_notice_urged(notify_client, auth, transport, t9, receiver):
    created = notify_client.post(
        "/v1/subscriptions",
        json={"url": receiver.endpoint("hooks/sub"), "event_types": ["notice.urged"]},
        headers=auth("office"),
    )
    assert created.status_code == 201, created.text
    urge(notify_client, auth("office"), item_ids=[t9])
    [event] = outbox(notify_client, purpose="event")
    assert event["step"] == "notice.urged"
    assert (event["payload"]["data"]["unit_id"], event["payload"]["data"]["item_id"]) == (transport, t9)


def test_a_retry_with_the_same_idempotency_key_replays_and_sends_nothing_twice(notify_client, auth, transport, t9):
    headers = {**auth("office"), "Idempotency-Key": "urge-1"}
    first, second = urge(notify_client, headers, item_ids=[t9]), urge(notify_client, headers, item_ids=[t9])
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true" and second.json() == first.json()
    assert len(outbox(notify_client, purpose="urging")) == 1
    assert len(history(notify_client, auth, transport)) == 1


@pytest.mark.parametrize("role", ["unit", "viewer"])
def test_only_the_office_urges(notify_client, auth, transport, t9, role):
    assert_problem(urge(notify_client, auth(role, unit_id=transport), item_ids=[t9]), 403)
    assert outbox(notify_client, purpose="urging") == []


def test_more_items_and_units_than_the_limit_are_refused_whole(notify_client, auth, transport, t9):
    response = urge(notify_client, auth("office"), item_ids=[t9] * MAX_ELEMENTS, unit_ids=[transport])
    assert_problem(response, 422)
    assert_problem(urge(notify_client, auth("office")), 422)
    assert outbox(notify_client, purpose="urging") == []
