"""A deliverer writes its result only while its claim stands: not once the lease ran out and another deliverer claimed
the notice, even after the office requeued it in between (which counts its attempts from 0 again)."""

from __future__ import annotations

from datetime import timedelta

from services.common import clock
from services.common.auth import Principal, Role
from services.common.secrets import new_webhook_secret
from services.notify_api.deliveries import repository, service
from services.notify_api.deliveries.models import Status
from tests.notify_api.outbox import T0, add_contact, add_notification, notification, run

OFFICE = Principal(subject="test-office", role=Role.OFFICE)


def claim_of(row):
    return row["id"], row["attempts"], row["lease_until"]


async def _claim(db, now, lease):
    async with db.transaction() as conn:
        [row] = await repository.claim_due(conn, now=now, limit=10, lease_until=now + lease)
    return row


async def _set(db, row, values):
    async with db.transaction() as conn:
        return await repository.set_state(conn, [claim_of(row)], values)


def test_a_stale_deliverers_result_never_overwrites_the_claim_made_after_a_requeue(notify_db, delivery_settings):
    settings, lease = delivery_settings, timedelta(seconds=delivery_settings.lease_seconds)
    later = T0 + 2 * lease

    async def work(db):
        contact = await add_contact(
            db, settings, channel="webhook", target="https://hooks.example.cn/x", secret=new_webhook_secret()
        )
        row = await add_notification(db, contact_id=contact, channel="webhook")
        stale = await _claim(db, T0, lease)  # A claims it (attempts 1), then hangs past its lease
        taken = await _claim(db, later, lease)  # B takes the expired claim (attempts 2) and fails for now
        retry_later = {"status": Status.PENDING.value, "lease_until": None, "next_attempt_at": later + lease}
        await _set(db, taken, retry_later)
        with clock.frozen(later):
            await service.retry_notification(db, notification_id=row["id"], actor=OFFICE)  # attempts 0 again
        live = await _claim(db, later + timedelta(seconds=1), lease)  # C claims it: attempts 1, as A's claim
        overwritten = await _set(db, stale, {**retry_later, "last_error": "A: timed out"})
        delivered = {"status": Status.DELIVERED.value, "delivered_at": later, "lease_until": None}
        recorded = await _set(db, live, delivered)
        return (stale["attempts"], live["attempts"]), overwritten, recorded, await notification(db, row["id"])

    attempts, overwritten, recorded, final = run(notify_db, work)
    assert attempts == (1, 1)  # what the claims have in common: the attempts alone cannot tell them apart
    assert (overwritten, recorded, final["status"]) == (0, 1, "delivered")
