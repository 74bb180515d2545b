"""notify_api answers instants in UTC with Z (tests/rfc3339.py), dates as plain ISO dates; webhooks too."""

import pytest

from services.common.json import loads
from services.notify_api.deliveries.channels.webhook import body
from tests.notify_api.conftest import add_contact, outbox
from tests.notify_api.test_planner import transport_hook, units  # noqa: F401 (fixtures)
from tests.rfc3339 import assert_one_form, ok


def dispatch(client, auth):
    return ok(client.post("/v1/dispatches", json={"as_of": "2019-12-28T10:00:00+08:00"}, headers=auth("office")))


@pytest.mark.usefixtures("transport_hook")
def test_a_dispatch_carries_its_instants_with_z(notify_client, auth):
    run = dispatch(notify_client, auth)
    assert_one_form(run, "as_of", "started_at", "finished_at")
    assert run["as_of"] == "2019-12-28T02:00:00Z"


@pytest.mark.usefixtures("transport_hook")
def test_notifications_carry_their_instants_with_z(notify_client, auth):
    dispatch(notify_client, auth)
    listed = ok(notify_client.get("/v1/notifications", headers=auth("office")))
    assert listed["data"]
    assert_one_form(listed, "created_at", "next_attempt_at")
    one = ok(notify_client.get(f"/v1/notifications/{listed['data'][0]['id']}", headers=auth("office")))
    assert_one_form(one, "created_at")


@pytest.mark.usefixtures("transport_hook")
def test_a_reminder_webhook_carries_its_timestamp_with_z(notify_client, auth):
    dispatch(notify_client, auth)
    sent = loads(body(outbox(notify_client)[0]))
    assert_one_form(sent, "timestamp")


def test_a_contact_carries_its_instants_with_z(notify_client, auth):
    contact = add_contact(notify_client, auth("office"), "office", 0, "email", "office@quzhou.gov.cn")
    assert_one_form(contact, "created_at", "updated_at")
    assert_one_form(ok(notify_client.get(f"/v1/contacts/{contact['id']}", headers=auth("office"))), "created_at")
