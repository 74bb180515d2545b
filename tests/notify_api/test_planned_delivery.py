"""From the planner to the receiver: quiet hours hold a notice until 08:00 Beijing time, and a digest arrives as
one signed message listing the day's reminders (the planner's rows are checked in test_planner.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.notify_api.deliveries.jobs import deliver_due
from services.notify_api.dispatches.service import TARGET_SOURCES
from tests.notify_api.conftest import add_contact, outbox, run_planner
from tests.notify_api.outbox import run
from tests.notify_api.test_planner import TRANSPORT, shanghai


@pytest.fixture
def transport_hook(notify_client, auth, quzhou, receiver):
    """市交通运输局's webhook at the local receiver, which verifies each signature."""
    hook = add_contact(
        notify_client, auth("office"), "unit", quzhou.unit_id(TRANSPORT), target=receiver.endpoint("hooks/transport")
    )
    receiver.secrets["hooks/transport"] = hook["secret"]
    return "hooks/transport"


def deliver_at(client, now):
    settings = client.app.state.settings
    return run(settings.database_url, lambda db: deliver_due(db, settings, sources=TARGET_SOURCES, now=now, limit=500))


def test_a_notice_planned_at_eleven_at_night_reaches_the_receiver_at_eight(notify_client, receiver, transport_hook):
    planned = run_planner(notify_client, shanghai("2019-12-28", 23))
    assert planned > 0
    assert deliver_at(notify_client, shanghai("2019-12-28", 23) + timedelta(minutes=30)).sent == 0
    assert deliver_at(notify_client, shanghai("2019-12-29", 8) - timedelta(seconds=1)).sent == 0
    assert receiver.calls == []
    assert deliver_at(notify_client, shanghai("2019-12-29", 8)).sent == planned
    assert len(receiver.calls_to(transport_hook)) == planned


def test_a_digest_reaches_the_receiver_as_one_signed_message_listing_the_days_reminders(
    notify_client, auth, quzhou, receiver, transport_hook
):
    response = notify_client.put(
        f"/v1/plans/{quzhou.plan_id}/reminder-rules/*",
        json={"digest": True},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    assert response.status_code == 200, response.text
    run_planner(notify_client, shanghai("2019-12-28"))
    assert deliver_at(notify_client, shanghai("2019-12-28")).sent == 1
    [call] = receiver.calls_to(transport_hook)
    assert call.verified
    data = call.json()["data"]
    assert data["digest"] is True and data["count"] == len(data["reminders"]) >= 3
    assert data["subject"].startswith("【督办日报】2019年12月28日")
    assert [row["webhook_id"] for row in outbox(notify_client)] == [call.webhook_id]
