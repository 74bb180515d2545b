"""Reliable delivery: the retry schedule, Retry-After, leases after a crash, and concurrent deliverers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from services.common.db import Database, make_engine
from services.common.secrets import new_webhook_secret
from services.common.settings import REPO_ROOT
from services.notify_api.deliveries.channels import Channels, Outcome, Target, Verdict
from services.notify_api.deliveries.jobs import claim, deliver_all_due, deliver_due
from services.notify_api.deliveries.service import next_delay
from services.notify_api.dispatches.service import TARGET_SOURCES
from tests.databases import BACKEND
from tests.notify_api.outbox import T0, add_contact, add_notification, attempts_of, notification, run
from tests.notify_api.receivers import Answer


def _webhook(url, settings, receiver, *, answers=(), count=1, unit_id=1):
    """A webhook contact of a unit at /hooks/unit-1 and `count` notifications to it, due at T0."""
    secret = new_webhook_secret()
    target = receiver.endpoint("hooks/unit-1", secret=secret, answers=list(answers))

    async def work(db):
        contact_id = await add_contact(db, settings, channel="webhook", target=target, secret=secret, owner_id=unit_id)
        return [
            await add_notification(db, contact_id=contact_id, channel="webhook", unit_id=unit_id) for _ in range(count)
        ]

    return run(url, work)


def _deliver(url, settings, now):
    return run(url, lambda db: deliver_due(db, settings, sources=TARGET_SOURCES, now=now, limit=50))


def _row(url, notification_id):
    return run(url, lambda db: notification(db, notification_id))


def test_a_receiver_failing_twice_gets_it_on_the_third_attempt_following_the_schedule(
    notify_db, delivery_settings, receiver
):
    [sent] = _webhook(notify_db, delivery_settings, receiver, answers=[Answer(500), Answer(503)])
    _deliver(notify_db, delivery_settings, T0)
    first_retry = _row(notify_db, sent["id"])["next_attempt_at"]
    assert timedelta(seconds=9) <= first_retry - T0 <= timedelta(seconds=11)  # schedule[1] = 10 s, ±10 %
    assert _deliver(notify_db, delivery_settings, first_retry - timedelta(seconds=1)).sent == 0  # not yet due
    _deliver(notify_db, delivery_settings, first_retry)
    second_retry = _row(notify_db, sent["id"])["next_attempt_at"]
    assert timedelta(seconds=18) <= second_retry - first_retry <= timedelta(seconds=22)  # schedule[2] = 20 s
    assert _deliver(notify_db, delivery_settings, second_retry).sent == 1
    row = _row(notify_db, sent["id"])
    assert (row["status"], row["attempts"], row["delivered_at"]) == ("delivered", 3, second_retry)
    tried = run(notify_db, lambda db: attempts_of(db, sent["id"]))
    assert [(a["number"], a["status_code"], a["at"]) for a in tried] == [
        (1, 500, T0),
        (2, 503, first_retry),
        (3, 200, second_retry),
    ]
    assert receiver.deliveries_by_id() == {sent["webhook_id"]: 3}


def test_after_the_last_step_of_the_schedule_the_notification_is_dead_and_says_why(
    notify_db, delivery_settings, receiver
):
    settings = delivery_settings.model_copy(update={"retry_schedule_seconds": [0, 1]})
    [sent] = _webhook(notify_db, settings, receiver, answers=[Answer(502), Answer(502)])
    _deliver(notify_db, settings, T0)
    assert _row(notify_db, sent["id"])["status"] == "pending"
    _deliver(notify_db, settings, T0 + timedelta(seconds=2))
    row = _row(notify_db, sent["id"])
    assert row["status"] == "dead"
    assert row["last_error"] == "Gave up after 2 attempts; last: HTTP 502"


@pytest.mark.parametrize("retry_after", ["120", "Mon, 02 Mar 2099 02:02:00 GMT"])
def test_429_postpones_the_next_attempt_by_retry_after(notify_db, delivery_settings, receiver, retry_after):
    settings = delivery_settings.model_copy(update={"retry_schedule_seconds": [0, 1, 1, 3600]})
    [sent] = _webhook(notify_db, settings, receiver, answers=[Answer(429, {"Retry-After": retry_after})])
    _deliver(notify_db, settings, T0)
    row = _row(notify_db, sent["id"])
    assert row["status"] == "pending"
    # Seconds are taken as they are; a far date is capped at the schedule's longest step (3600 s).
    expected = 120 if retry_after.isdigit() else 3600
    assert row["next_attempt_at"] - T0 == timedelta(seconds=expected)


def test_retry_delays_are_jittered_within_ten_percent():
    delays = {next_delay([0, 300], 1, Outcome(Verdict.RETRY)) for _ in range(50)}
    assert all(270 <= d <= 330 for d in delays)
    assert len(delays) > 1


def test_a_deliverer_killed_mid_delivery_loses_nothing_and_resends_with_the_same_webhook_id(
    notify_db, delivery_settings, receiver
):
    [sent] = _webhook(notify_db, delivery_settings, receiver)

    async def killed(db):
        """Claim and send, then die before recording the result."""
        [claimed] = await claim(db, delivery_settings, now=T0, limit=10)
        channels = Channels(delivery_settings)
        contact = Target(
            "contact", claimed["contact_id"], receiver.url + "/hooks/unit-1", receiver.secrets["hooks/unit-1"]
        )
        await channels.send(claimed, contact)
        await channels.aclose()

    run(notify_db, killed)
    assert _row(notify_db, sent["id"])["status"] == "sending"
    assert _deliver(notify_db, delivery_settings, T0 + timedelta(seconds=59)).sent == 0  # the lease holds
    assert _deliver(notify_db, delivery_settings, T0 + timedelta(seconds=61)).sent == 1  # the lease ran out
    assert _row(notify_db, sent["id"])["status"] == "delivered"
    first, second = receiver.calls_to("hooks/unit-1")
    assert first.webhook_id == second.webhook_id == sent["webhook_id"]
    assert first.body == second.body
    assert receiver.deliveries_by_id() == {sent["webhook_id"]: 2}  # two arrivals, one logical delivery


def test_a_dispatcher_process_killed_while_sending_loses_nothing_and_resends_with_the_same_webhook_id(
    notify_db, delivery_settings, receiver, tasks_server, reporting_peer
):
    """`duban dispatch` (the cron entry point) is killed with SIGKILL while the receiver holds its request."""
    # A unit the plan does not know, so the dispatch plans nothing more for its contact.
    [sent] = _webhook(notify_db, delivery_settings, receiver, answers=[Answer(hold_seconds=10)], unit_id=999001)
    env = {
        **os.environ,
        "NOTIFY_API_DATABASE_URL": notify_db,
        "NOTIFY_API_ENVIRONMENT": "test",
        "NOTIFY_API_TASKS_API_URL": tasks_server,
        "NOTIFY_API_REPORTING_API_URL": reporting_peer,
        "NOTIFY_API_LEASE_SECONDS": "60",
    }
    dispatcher = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "dispatch", "--as-of", "2026-03-02T10:00"],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        give_up = time.monotonic() + 60
        while not receiver.calls and dispatcher.poll() is None and time.monotonic() < give_up:
            time.sleep(0.05)
    finally:
        dispatcher.kill()
        dispatcher.wait()
    claimed = _row(notify_db, sent["id"])
    assert (claimed["status"], len(receiver.calls)) == ("sending", 1)
    assert _deliver(notify_db, delivery_settings, claimed["lease_until"] - timedelta(seconds=1)).sent == 0
    assert _deliver(notify_db, delivery_settings, claimed["lease_until"] + timedelta(seconds=1)).sent == 1
    assert _row(notify_db, sent["id"])["status"] == "delivered"
    first, second = receiver.calls_to("hooks/unit-1")
    assert first.webhook_id == second.webhook_id == sent["webhook_id"] and first.body == second.body


def test_a_receiver_that_sets_a_cookie_is_never_sent_it_back(notify_db, delivery_settings, receiver):
    cookie = Answer(200, {"Set-Cookie": "session=abc; Path=/"})
    _webhook(notify_db, delivery_settings, receiver, answers=[cookie, cookie], count=2)

    async def one_client(db):
        """Both notifications sent in turn by one run's client, as a run sends to each recipient."""
        channels = Channels(delivery_settings)
        try:
            for claimed in await claim(db, delivery_settings, now=T0, limit=10):
                url = receiver.url + "/hooks/unit-1"
                await channels.send(
                    claimed, Target("contact", claimed["contact_id"], url, receiver.secrets["hooks/unit-1"])
                )
        finally:
            await channels.aclose()

    run(notify_db, one_client)
    assert [call.headers.get("cookie") for call in receiver.calls_to("hooks/unit-1")] == [None, None]


def test_a_claimed_notification_is_not_claimed_again_while_its_lease_holds(notify_db, delivery_settings, receiver):
    _webhook(notify_db, delivery_settings, receiver, count=3)
    first = run(notify_db, lambda db: claim(db, delivery_settings, now=T0, limit=2))
    second = run(notify_db, lambda db: claim(db, delivery_settings, now=T0, limit=10))
    assert len(first) == 2 and len(second) == 1
    assert {r["id"] for r in first}.isdisjoint(r["id"] for r in second)
    assert all(r["lease_until"] == T0 + timedelta(seconds=60) for r in first + second)


def _two_deliverers(url, settings):
    """Two deliverers on two engines, each claiming small batches until nothing is due."""

    async def deliverer():
        db = Database(make_engine(url))
        sent = 0
        try:
            while (
                counts := await deliver_due(db, settings, sources=TARGET_SOURCES, now=T0, limit=10)
            ).sent + counts.failed:
                sent += counts.sent
        finally:
            await db.dispose()
        return sent

    async def both():
        return await asyncio.gather(deliverer(), deliverer())

    return asyncio.run(both())


@pytest.mark.skipif(
    BACKEND == "sqlite",
    reason="SQLite has one writer, so concurrent claims cannot race there; "
    "FOR UPDATE SKIP LOCKED is proven on PostgreSQL",
)
def test_two_deliverers_on_postgresql_deliver_200_notifications_with_no_duplicate_and_none_lost(
    notify_db, delivery_settings, receiver
):
    sent = _webhook(notify_db, delivery_settings, receiver, count=200)
    first, second = _two_deliverers(notify_db, delivery_settings)
    assert first + second == 200
    assert first > 0 and second > 0  # both took part
    arrivals = receiver.deliveries_by_id()
    assert set(arrivals) == {n["webhook_id"] for n in sent}
    assert set(arrivals.values()) == {1}


def test_two_deliverers_on_one_database_never_send_a_notification_twice(notify_db, delivery_settings, receiver):
    sent = _webhook(notify_db, delivery_settings, receiver, count=30)
    first, second = _two_deliverers(notify_db, delivery_settings)
    assert first + second == 30
    assert receiver.deliveries_by_id() == {n["webhook_id"]: 1 for n in sent}


def _pipelined(url, settings, *, deliverers, batch):
    """`deliverers` deliver_all_due runs on their own engines at once, each writing a batch while sending the next."""

    async def deliverer():
        db = Database(make_engine(url))
        try:
            return await deliver_all_due(db, settings, sources=TARGET_SOURCES, now=T0, batch=batch)
        finally:
            await db.dispose()

    async def all_of_them():
        return await asyncio.gather(*(deliverer() for _ in range(deliverers)))

    return asyncio.run(all_of_them())


def test_a_pipelined_deliverer_sends_every_batch_once_and_records_the_last_before_it_returns(
    notify_db, delivery_settings, receiver
):
    sent = _webhook(notify_db, delivery_settings, receiver, count=25)
    [counts] = _pipelined(notify_db, delivery_settings, deliverers=1, batch=10)
    assert (counts.sent, counts.failed) == (25, 0)
    assert receiver.deliveries_by_id() == {n["webhook_id"]: 1 for n in sent}
    assert {_row(notify_db, n["id"])["status"] for n in sent} == {"delivered"}


def test_two_pipelined_deliverers_never_send_a_notification_twice_nor_lose_one(notify_db, delivery_settings, receiver):
    sent = _webhook(notify_db, delivery_settings, receiver, count=60)
    counts = _pipelined(notify_db, delivery_settings, deliverers=2, batch=10)
    assert sum(c.sent for c in counts) == 60 and sum(c.failed for c in counts) == 0
    assert receiver.deliveries_by_id() == {n["webhook_id"]: 1 for n in sent}
    assert {_row(notify_db, n["id"])["status"] for n in sent} == {"delivered"}
