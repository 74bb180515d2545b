"""Probe: a digest repeats yesterday's already-sent step every day."""

from __future__ import annotations

import pytest

from tests.notify_api.conftest import add_contact, outbox, run_planner
from tests.notify_api.test_planner import TRANSPORT, shanghai


@pytest.fixture
def units(quzhou):
    return {TRANSPORT: quzhou.unit_id(TRANSPORT)}


def test_a_digest_does_not_resend_a_step_already_sent_on_an_earlier_day(notify_client, auth, quzhou, units):
    """README: `digest` = "Send a recipient's reminders of one day as one message"; steps.py: each step goes out
    once. KW7 is due 2019-12-31: before-3 is due on 12-28, nothing new on 12-29 (before-1 is on 12-30). In single
    mode 12-29 sends nothing; in digest mode 12-29 must not send the before-3 notices a second time."""
    hook = add_contact(notify_client, auth("office"), "unit", units[TRANSPORT])
    r = notify_client.put(
        f"/v1/plans/{quzhou.plan_id}/reminder-rules/*",
        json={"digest": True},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    assert r.status_code == 200, r.text
    run_planner(notify_client, shanghai("2019-12-28"))
    kw7 = quzhou.item("KW7")["id"]
    [first] = outbox(notify_client, contact_id=hook["id"])
    assert ("item", kw7) in {(x["deadline_kind"], x["item_id"]) for x in first["payload"]["data"]["reminders"]}

    run_planner(notify_client, shanghai("2019-12-29"), dispatch_id=2)
    later = [row for row in outbox(notify_client, contact_id=hook["id"]) if row["id"] != first["id"]]
    repeated = [
        (x["deadline_kind"], x["item_id"], x["step"])
        for row in later
        for x in row["payload"]["data"]["reminders"]
        if x["item_id"] == kw7
    ]
    assert repeated == [], f"12-29's digest repeats KW7's steps already sent on 12-28: {repeated}"
