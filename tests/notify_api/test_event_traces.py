"""The trace of a request goes with what it causes later: into the outbox event it writes, on the relay's POST to
notify_api, and onto the webhooks that event fans out to."""

from __future__ import annotations

from tests.notify_api.test_events import client, deliver, event, subscribe
from tests.tasks_api.factories import import_small_plan
from tests.tasks_api.test_outbox import events, relay

__all__ = ["client"]  # the fixture, shared with test_events.py

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_an_outbox_event_keeps_the_traceparent_of_the_request_that_made_it(tasks_client, tasks_database, auth):
    plan = import_small_plan(tasks_client, auth)
    response = tasks_client.post(
        f"/v1/items/{plan.items['T3']}/responsibilities",
        json={"unit_id": plan.units["市水利局"], "role": "co"},
        headers=auth("office", traceparent=TRACEPARENT),
    )
    assert response.status_code == 201, response.text
    assert events(tasks_database)[-1]["traceparent"] == TRACEPARENT


def test_an_event_posted_in_a_trace_reaches_its_webhook_in_that_trace(client, notify_db, auth, receiver):
    created = subscribe(client, auth)
    url = receiver.endpoint("hooks/city", secret=created["secret"])
    client.patch(f"/v1/subscriptions/{created['id']}", json={"url": url}, headers=auth("office", **{"If-Match": '"1"'}))
    client.post("/v1/events", json=event(), headers=auth("service", traceparent=TRACEPARENT))
    assert deliver(notify_db).sent == 1
    [call] = receiver.calls_to("hooks/city")
    assert call.headers["traceparent"] == TRACEPARENT


def test_the_relay_posts_each_event_in_the_trace_of_the_request_that_made_it(
    tasks_client, tasks_database, auth, receiver
):
    test_an_outbox_event_keeps_the_traceparent_of_the_request_that_made_it(tasks_client, tasks_database, auth)
    relay(tasks_database, receiver.url)
    assert receiver.calls_to("v1/events")[-1].headers["traceparent"] == TRACEPARENT
