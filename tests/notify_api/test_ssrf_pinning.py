"""The SSRF guard holds against DNS rebinding: the deliverer connects to the addresses it checked, by one lookup.

The backend tests put a resolver that re-binds (a public answer first, loopback after) and a recording network
under the guard; the delivery tests send through the real HTTP client to a name only the test's resolver knows.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpcore
import pytest

from services.common.secrets import new_webhook_secret
from services.notify_api.deliveries.channels import pinning
from services.notify_api.deliveries.channels.pinning import GuardedBackend, TargetRefused
from services.notify_api.deliveries.jobs import deliver_due
from services.notify_api.dispatches.service import TARGET_SOURCES
from tests.notify_api.conftest import notify_settings
from tests.notify_api.outbox import T0, add_contact, add_notification, notification, run

PUBLIC, LOOPBACK = "93.184.216.34", "127.0.0.1"


class Rebinding:
    """A resolver whose answers change from one lookup to the next, as an attacker's DNS server would."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups += 1
        return self.answers[min(self.lookups, len(self.answers)) - 1]


class RecordingNetwork(httpcore.AsyncNetworkBackend):
    """Records where connections go and refuses them (nothing leaves the test)."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # noqa: ASYNC109 - httpcore's signature
        self.connected.append((host, port))
        raise httpcore.ConnectError("recorded, not connected")


def connect(backend: GuardedBackend, host: str = "hooks.example.cn", port: int = 443) -> None:
    asyncio.run(backend.connect_tcp(host, port))


def test_the_connection_goes_to_the_address_that_was_checked_after_one_lookup():
    resolver, network = Rebinding([PUBLIC], [LOOPBACK]), RecordingNetwork()
    with pytest.raises(httpcore.ConnectError, match="recorded"):
        connect(GuardedBackend(private_allowed=False, resolver=resolver, backend=network))
    assert network.connected == [(PUBLIC, 443)]
    assert resolver.lookups == 1  # the re-bound answer is never asked for


@pytest.mark.parametrize(
    "answer",
    [
        [LOOPBACK],
        ["10.0.0.5"],
        ["169.254.169.254"],
        [PUBLIC, LOOPBACK],
        ["::ffff:127.0.0.1"],
        ["64:ff9b::a9fe:a9fe"],
        ["2002:7f00:1::"],
        ["::127.0.0.1"],
    ],
)
def test_a_name_with_any_private_address_is_refused_before_connecting(answer):
    network = RecordingNetwork()
    with pytest.raises(TargetRefused, match="SSRF"):
        connect(GuardedBackend(private_allowed=False, resolver=Rebinding(answer), backend=network))
    assert network.connected == []


def test_outside_production_a_private_address_is_connected_to_as_checked():
    network = RecordingNetwork()
    with pytest.raises(httpcore.ConnectError, match="recorded"):
        connect(GuardedBackend(private_allowed=True, resolver=Rebinding([LOOPBACK]), backend=network))
    assert network.connected == [(LOOPBACK, 443)]


def _webhook_to(url: str, settings, receiver) -> dict:
    """A webhook contact at `url` (the receiver's /hooks/unit-1 under another name) with one notification."""
    secret = new_webhook_secret()
    receiver.endpoint("hooks/unit-1", secret=secret)

    async def work(db):
        contact_id = await add_contact(db, settings, channel="webhook", target=url, secret=secret)
        return await add_notification(db, contact_id=contact_id, channel="webhook")

    return run(settings.database_url, work)


def _deliver_and_read(settings, sent) -> dict:
    run(settings.database_url, lambda db: deliver_due(db, settings, sources=TARGET_SOURCES, now=T0, limit=10))
    return run(settings.database_url, lambda db: notification(db, sent["id"]))


def test_a_delivery_connects_through_the_guard_and_keeps_the_name_in_the_host_header(
    notify_db, delivery_settings, receiver, monkeypatch
):
    port = urlsplit(receiver.url).port
    resolver = Rebinding([LOOPBACK])
    monkeypatch.setattr(pinning, "resolve", resolver)  # the name exists only for the guard's resolver
    sent = _webhook_to(f"http://receiver.duban.test:{port}/hooks/unit-1", delivery_settings, receiver)
    assert _deliver_and_read(delivery_settings, sent)["status"] == "delivered"
    [call] = receiver.calls_to("hooks/unit-1")
    assert call.headers["host"] == f"receiver.duban.test:{port}" and call.verified
    assert resolver.lookups == 1


def test_in_production_a_name_resolving_to_loopback_is_dead_and_never_called(notify_db, receiver, monkeypatch):
    settings = notify_settings(notify_db, allow_private_targets=False)
    monkeypatch.setattr(pinning, "resolve", Rebinding([LOOPBACK]))
    sent = _webhook_to(f"http://hooks.example.cn:{urlsplit(receiver.url).port}/hooks/unit-1", settings, receiver)
    row = _deliver_and_read(settings, sent)
    assert row["status"] == "dead"
    assert "hooks.example.cn resolves to 127.0.0.1" in row["last_error"] and "SSRF" in row["last_error"]
    assert receiver.calls == []
