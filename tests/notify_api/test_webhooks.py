"""Webhooks follow Standard Webhooks: signed, and what the receiver answers decides retry, death or disabling."""

from __future__ import annotations

import json

from sqlalchemy import select

from services.common.secrets import new_webhook_secret
from services.notify_api.deliveries.channels.webhook import body, signature
from services.notify_api.deliveries.jobs import deliver_due
from services.notify_api.dispatches.service import TARGET_SOURCES
from services.notify_api.events.models import Subscription
from tests.notify_api.conftest import notify_settings
from tests.notify_api.outbox import (
    T0,
    add_contact,
    add_notification,
    add_subscription,
    attempts_of,
    contact_enabled,
    notification,
    run,
)
from tests.notify_api.receivers import Answer


def _webhook(url, settings, receiver, *, answers=(), secret=None, **values):
    """A webhook contact at /hooks/unit-1 with one notification due at T0."""
    secret = secret or new_webhook_secret()
    target = receiver.endpoint("hooks/unit-1", secret=secret, answers=list(answers))

    async def work(db):
        contact_id = await add_contact(db, settings, channel="webhook", target=target, secret=secret)
        return contact_id, await add_notification(db, contact_id=contact_id, channel="webhook", **values)

    return run(url, work)


def _deliver(url, settings, now=T0):
    return run(url, lambda db: deliver_due(db, settings, sources=TARGET_SOURCES, now=now, limit=50))


def test_a_webhook_is_signed_so_a_standard_webhooks_receiver_verifies_it(notify_db, delivery_settings, receiver):
    _, sent = _webhook(notify_db, delivery_settings, receiver)
    counts = _deliver(notify_db, delivery_settings)
    assert (counts.sent, counts.failed) == (1, 0)
    [call] = receiver.calls_to("hooks/unit-1")
    assert call.verified is True
    assert call.webhook_id == sent["webhook_id"]
    body = call.json()
    assert body["type"] == "reminder.blue"
    assert body["data"]["subject"] == sent["payload"]["subject"]
    assert body["data"]["item_number"] == "1.1"
    assert body["data"]["notification_id"] == sent["id"]  # what the receiver acknowledges it by
    assert run(notify_db, lambda db: notification(db, sent["id"]))["status"] == "delivered"


def test_the_signature_is_hmac_sha256_of_id_timestamp_and_body_under_the_decoded_secret():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the specification's example secret
    body = b'{"test": 2432232314}'
    assert (
        signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_a_webhook_body_and_id_are_the_same_on_every_attempt(notify_db, delivery_settings, receiver):
    _, sent = _webhook(notify_db, delivery_settings, receiver, answers=[Answer(503)])
    _deliver(notify_db, delivery_settings)
    row = run(notify_db, lambda db: notification(db, sent["id"]))
    _deliver(notify_db, delivery_settings, now=row["next_attempt_at"])
    first, second = receiver.calls_to("hooks/unit-1")
    assert first.webhook_id == second.webhook_id == sent["webhook_id"]
    assert first.body == second.body
    assert second.verified is True


def test_an_event_goes_to_its_subscription_exactly_as_it_was_received(notify_db, delivery_settings, receiver):
    secret = new_webhook_secret()
    target = receiver.endpoint("hooks/city-brain", secret=secret)
    event = {
        "type": "report.submitted",
        "timestamp": "2026-03-02T02:00:00+00:00",
        "data": {"report_id": 7, "unit_id": 3, "period": "2026-Q1"},
    }

    async def work(db):
        subscription_id = await add_subscription(db, delivery_settings, url=target, secret=secret)
        await add_notification(
            db,
            contact_id=subscription_id,
            channel="webhook",
            purpose="event",
            level=None,
            recipient_kind="subscription",
            recipient_id=subscription_id,
            payload=event,
        )

    run(notify_db, work)
    assert _deliver(notify_db, delivery_settings).sent == 1
    [call] = receiver.calls_to("hooks/city-brain")
    assert call.verified is True
    assert json.loads(call.body) == event


def test_an_event_notice_to_a_units_own_webhook_carries_its_notification_id():
    """A unit's system acknowledges what it is sent (POST /v1/notifications/{id}/read): an instruction's notice on
    its webhook carries the id, as a reminder does; a subscription gets the event exactly as it was received."""
    payload = {"type": "instruction.issued", "timestamp": "2024-04-01T02:00:00Z", "data": {"instruction_id": 7}}
    notice = {"id": 41, "purpose": "event", "recipient_kind": "unit", "payload": payload}
    assert json.loads(body(notice))["data"] == {"instruction_id": 7, "notification_id": 41}
    assert json.loads(body({**notice, "recipient_kind": "subscription"})) == payload


def test_410_disables_the_contact_and_the_notification_is_dead(notify_db, delivery_settings, receiver):
    contact_id, sent = _webhook(notify_db, delivery_settings, receiver, answers=[Answer(410)])
    counts = _deliver(notify_db, delivery_settings)
    assert (counts.sent, counts.failed) == (0, 1)
    row = run(notify_db, lambda db: notification(db, sent["id"]))
    assert row["status"] == "dead"
    assert "410" in row["last_error"]
    assert run(notify_db, lambda db: contact_enabled(db, contact_id)) is False


def test_a_notification_to_a_disabled_contact_is_cancelled_without_sending(notify_db, delivery_settings, receiver):
    target = receiver.endpoint("hooks/unit-1", secret=new_webhook_secret())

    async def work(db):
        contact_id = await add_contact(
            db, delivery_settings, channel="webhook", target=target, secret=new_webhook_secret(), enabled=False
        )
        return await add_notification(db, contact_id=contact_id, channel="webhook")

    sent = run(notify_db, work)
    assert _deliver(notify_db, delivery_settings).failed == 1
    row = run(notify_db, lambda db: notification(db, sent["id"]))
    assert (row["status"], row["last_error"]) == ("cancelled", f"The contact {sent['contact_id']} is disabled.")
    assert receiver.calls == []


def test_400_is_dead_at_once_and_never_retried(notify_db, delivery_settings, receiver):
    _, sent = _webhook(notify_db, delivery_settings, receiver, answers=[Answer(400)])
    _deliver(notify_db, delivery_settings)
    row = run(notify_db, lambda db: notification(db, sent["id"]))
    assert (row["status"], row["attempts"]) == ("dead", 1)
    assert _deliver(notify_db, delivery_settings, now=T0.replace(year=2027)).sent == 0
    assert len(receiver.calls) == 1
    [attempt] = run(notify_db, lambda db: attempts_of(db, sent["id"]))
    assert attempt["status_code"] == 400


def test_408_and_a_redirect_are_failures_that_are_retried(notify_db, delivery_settings, receiver):
    _, sent = _webhook(
        notify_db, delivery_settings, receiver, answers=[Answer(408), Answer(302, {"Location": "http://example.com/"})]
    )
    _deliver(notify_db, delivery_settings)
    assert run(notify_db, lambda db: notification(db, sent["id"]))["status"] == "pending"
    _deliver(notify_db, delivery_settings, now=T0.replace(hour=3))
    row = run(notify_db, lambda db: notification(db, sent["id"]))
    assert (row["status"], row["attempts"]) == ("pending", 2)
    assert "redirects are not followed" in row["last_error"]


def test_a_private_target_is_refused_when_private_targets_are_not_allowed(notify_db, receiver, mailbox):
    settings = notify_settings(notify_db, allow_private_targets=False)
    _, sent = _webhook(notify_db, settings, receiver)
    assert _deliver(notify_db, settings).failed == 1
    row = run(notify_db, lambda db: notification(db, sent["id"]))
    assert row["status"] == "dead"
    assert "127.0.0.1" in row["last_error"] and "SSRF" in row["last_error"]
    assert receiver.calls == []


def test_an_attempt_records_status_code_latency_and_time(notify_db, delivery_settings, receiver):
    _, sent = _webhook(notify_db, delivery_settings, receiver, answers=[Answer(204)])
    _deliver(notify_db, delivery_settings)
    [attempt] = run(notify_db, lambda db: attempts_of(db, sent["id"]))
    assert (attempt["number"], attempt["status_code"], attempt["at"], attempt["error"]) == (1, 204, T0, None)
    assert attempt["latency_ms"] >= 0


def test_a_subscription_answering_410_is_disabled_with_the_reason(notify_db, delivery_settings, receiver):

    secret = new_webhook_secret()
    target = receiver.endpoint("hooks/city-brain", secret=secret, answers=[Answer(410)])

    async def work(db):
        subscription_id = await add_subscription(db, delivery_settings, url=target, secret=secret)
        await add_notification(
            db,
            contact_id=subscription_id,
            channel="webhook",
            purpose="event",
            level=None,
            recipient_kind="subscription",
            recipient_id=subscription_id,
            payload={"type": "report.submitted", "data": {}},
        )
        return subscription_id

    subscription_id = run(notify_db, work)
    _deliver(notify_db, delivery_settings)
    table = Subscription.__table__

    async def read(db):
        async with db.read() as conn:
            return (
                await conn.execute(
                    select(table.c.enabled, table.c.disabled_reason).where(table.c.id == subscription_id)
                )
            ).one()

    enabled, reason = run(notify_db, read)
    assert enabled is False
    assert reason == f"{target} answered 410 Gone"
