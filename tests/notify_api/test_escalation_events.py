"""notice.escalated: other systems hear once when a deadline's notice turns red (红色督办单).

Special action 5 of the Quzhou plan is due 2025-12-31; Sunday 2026-01-04 is a make-up working day (its first
overdue notice, yellow) and Thursday 2026-01-08 is five working days overdue (red).
"""

from __future__ import annotations

from collections import Counter

import pytest

from services.common.events.catalogue import MESSAGES
from services.notify_api.events.models import ReceivedEvent
from tests.notify_api.conftest import add_contact, run_planner
from tests.notify_api.test_events import rows
from tests.notify_api.test_planner import ECOLOGY, shanghai


@pytest.fixture
def sa5(quzhou):
    return quzhou.item("SA5")


@pytest.fixture
def subscriber(notify_client, auth, receiver, quzhou):
    """A system subscribed to notice.escalated at the local receiver, which verifies the signatures.

    No report has been filed in these tests, so every unit's every report is overdue; the plan's rule for
    reports escalates late enough that the subscriber hears of the items' escalations only (a faster test)."""
    late = notify_client.put(
        f"/v1/plans/{quzhou.plan_id}/reminder-rules/report",
        json={"escalate_after_days": 180},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    assert late.status_code == 200, late.text
    url = receiver.endpoint("hooks/city-supervision")
    response = notify_client.post(
        "/v1/subscriptions", json={"url": url, "event_types": ["notice.escalated"]}, headers=auth("office")
    )
    assert response.status_code == 201, response.text
    receiver.secrets["hooks/city-supervision"] = response.json()["secret"]  # shown once, at creation
    return "hooks/city-supervision"


def dispatch(client, auth, as_of):
    response = client.post("/v1/dispatches", json={"as_of": as_of.isoformat()}, headers=auth("office"))
    assert response.status_code == 201, response.text
    return response.json()


def escalations_of(receiver, path, item_id):
    """The notice.escalated events the receiver got about an item's own deadline (not its reports), by step."""
    return Counter(
        c.json()["data"]["step"]
        for c in receiver.calls_to(path)
        if c.json()["type"] == "notice.escalated"
        and c.json()["data"]["item_id"] == item_id
        and c.json()["data"]["deadline_kind"] == "item"
    )


def test_two_dispatches_past_the_threshold_send_the_subscriber_one_signed_escalation(
    notify_client, auth, receiver, subscriber, sa5
):
    dispatch(notify_client, auth, shanghai("2026-01-08", 10))
    arrived = len(receiver.calls_to(subscriber))
    dispatch(notify_client, auth, shanghai("2026-01-08", 15))
    calls = receiver.calls_to(subscriber)
    assert len(calls) == arrived > 0
    assert all(c.verified for c in calls)
    assert set(receiver.deliveries_by_id(subscriber).values()) == {1}
    assert escalations_of(receiver, subscriber, sa5["id"]) == {"escalated-5": 1}


def test_the_escalation_names_the_item_its_units_and_its_lead_leaders(
    notify_client, auth, quzhou, quzhou_client, receiver, subscriber, sa5
):
    dispatch(notify_client, auth, shanghai("2026-01-08", 10))
    [event] = [
        c.json()
        for c in receiver.calls_to(subscriber)
        if c.json()["data"]["item_id"] == sa5["id"] and c.json()["data"]["deadline_kind"] == "item"
    ]
    data = event["data"]
    leaders = quzhou_client.get(f"/v1/items/{sa5['id']}", headers=auth("viewer")).json()["lead_leaders"]
    assert (data["level"], data["due_on"], data["days_overdue"]) == ("red", "2025-12-31", 8)
    assert data["unit_id"] == quzhou.unit_id(ECOLOGY)
    assert data["units"][0]["role"] == "lead"
    assert data["lead_leader_ids"] == [leader["id"] for leader in leaders]
    assert data["link"].endswith(f"/plans/{quzhou.plan_id}/items/{sa5['id']}")


def test_the_escalation_is_the_message_the_catalogue_declares(notify_client, auth, receiver, subscriber, sa5):
    dispatch(notify_client, auth, shanghai("2026-01-08", 10))
    for call in receiver.calls_to(subscriber):
        message = MESSAGES["notice.escalated"].model_validate(call.json())
        assert set(call.json()["data"]) <= set(message.model_dump()["data"])
        assert call.json()["links"]["item"] == call.json()["data"]["link"]


def test_a_yellow_overdue_notice_publishes_no_escalation(notify_client, auth, receiver, subscriber, sa5):
    dispatch(notify_client, auth, shanghai("2026-01-04", 10))
    assert escalations_of(receiver, subscriber, sa5["id"]) == {}


def test_the_escalation_reaches_the_subscriber_even_when_no_unit_has_a_contact(
    notify_client, auth, receiver, subscriber, sa5
):
    assert dispatch(notify_client, auth, shanghai("2026-01-08", 10))["created"] == 0
    assert escalations_of(receiver, subscriber, sa5["id"])


def test_without_a_subscriber_no_escalation_event_is_recorded(notify_client, auth, quzhou, sa5):
    add_contact(notify_client, auth("office"), "unit", quzhou.unit_id(ECOLOGY))
    assert run_planner(notify_client, shanghai("2026-01-08", 10)) > 0
    url = notify_client.app.state.settings.database_url
    assert rows(url, ReceivedEvent.__table__, ReceivedEvent.__table__.c.type == "notice.escalated") == []
