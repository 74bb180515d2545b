"""notify_api's /metrics: dispatch rounds, deliveries by channel and outcome, and the dead letters."""

from __future__ import annotations

from datetime import timedelta

from services.notify_api.deliveries.clock import now_utc
from tests.notify_api.test_dispatch_api import _outbox
from tests.scrape import samples, scrape_text, value


def test_a_dispatch_counts_its_round_and_each_delivery_by_channel_and_outcome(notify_client, auth, receiver):
    before = samples(scrape_text(notify_client, auth("service")))
    _outbox(notify_client, receiver, 999001, next_attempt_at=now_utc() - timedelta(minutes=1))
    assert notify_client.post("/v1/dispatches", headers=auth("service")).status_code == 201
    after = samples(scrape_text(notify_client, auth("service")))
    delivered = {"channel": "webhook", "outcome": "delivered"}
    assert (
        value(after, "duban_deliveries_total", **delivered) == value(before, "duban_deliveries_total", **delivered) + 1
    )
    assert (
        value(after, "duban_dispatch_rounds_total", result="ran")
        == value(before, "duban_dispatch_rounds_total", result="ran") + 1
    )
    assert (
        value(after, "duban_dispatch_duration_seconds_count")
        == value(before, "duban_dispatch_duration_seconds_count") + 1
    )


def test_dead_letters_are_read_from_the_database_when_scraped(notify_client, auth, receiver):
    _outbox(notify_client, receiver, 999001, 999002, status="dead")
    found = samples(scrape_text(notify_client, auth("service")))
    assert value(found, "duban_notifications", status="dead") == 2
    assert value(found, "duban_notifications", status="pending") == 0
