"""notify_api's secrets: webhook and subscription signing secrets sealed at rest, feed tokens kept as hashes;
each shown once, in the answer that made it, and never written to a log.

The database is read directly, every row of every table, so that a copy of a secret anywhere (a history
entry, an outbox payload) is found, not only in the column meant for it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from services.common.secrets import RedactQueryTokens, SecretBox, token_hash
from services.notify_api.app import create_app as create_notify_app
from services.notify_api.calendars.models import FeedToken
from services.notify_api.contacts.models import Contact
from services.notify_api.deliveries.jobs import deliver_due
from services.notify_api.dispatches.service import TARGET_SOURCES
from services.notify_api.events.models import Subscription
from tests.conftest import serve_in_thread
from tests.notify_api.outbox import add_notification
from tests.notify_api.receivers import Answer

DUE = datetime(2025, 11, 3, 2, 0, tzinfo=UTC)  # before the world's own notification is due, so only ours is sent


def _rows(world, table) -> list[dict]:
    async def read() -> list[dict]:
        async with world.client.app.state.database.read() as conn:
            return [dict(row) for row in (await conn.execute(select(table))).mappings()]

    return world.client.portal.call(read)


def _stored_anywhere(world, secret: str) -> list[str]:
    """The tables holding `secret` in any column of any row, as text or bytes."""
    found = []
    for table in world.metadata.sorted_tables:
        text = repr(_rows(world, table))
        if secret in text or secret.removeprefix("whsec_") in text:
            found.append(table.name)
    return found


def _webhook_contact(world, auth, target: str = "https://hooks.example.cn/secrets") -> dict:
    response = world.client.post(
        "/v1/contacts",
        headers=auth("unit", unit_id=world.unit_a),
        json={"owner_kind": "unit", "owner_id": world.unit_a, "channel": "webhook", "target": target},
    )
    assert response.status_code == 201, response.text
    return response.json()


def _sealed_secret(world, table, row_id: int) -> str:
    [row] = [r for r in _rows(world, table) if r["id"] == row_id]
    return SecretBox(world.client.app.state.settings.secret_key).open(row["secret_encrypted"])


@pytest.fixture
def notify(world):
    return world("notify_api")


def test_a_webhook_secret_is_shown_at_creation_and_never_again(notify, auth):
    contact = _webhook_contact(notify, auth)
    assert contact["secret"].startswith("whsec_")
    office = auth("office")
    read = notify.client.get(f"/v1/contacts/{contact['id']}", headers=office)
    listed = notify.client.get("/v1/contacts", params={"limit": 500}, headers=office)
    assert read.json()["has_secret"] is True and "secret" not in read.json()
    assert contact["secret"] not in read.text + listed.text


def test_a_webhook_secret_is_stored_sealed_and_nowhere_in_clear(notify, auth):
    contact = _webhook_contact(notify, auth)
    assert _stored_anywhere(notify, contact["secret"]) == []
    assert _sealed_secret(notify, Contact.__table__, contact["id"]) == contact["secret"]


def test_a_rotated_webhook_secret_is_shown_once_and_stored_sealed(notify, auth):
    contact = _webhook_contact(notify, auth)
    rotated = notify.client.post(f"/v1/contacts/{contact['id']}/secret", headers=auth("unit", unit_id=notify.unit_a))
    new_secret = rotated.json()["secret"]
    read = notify.client.get(f"/v1/contacts/{contact['id']}", headers=auth("office"))
    assert new_secret != contact["secret"] and new_secret not in read.text
    assert _stored_anywhere(notify, new_secret) == _stored_anywhere(notify, contact["secret"]) == []
    assert _sealed_secret(notify, Contact.__table__, contact["id"]) == new_secret


@pytest.mark.parametrize("kind", ["webhook", "rotation", "subscription", "feed-token"])
def test_a_secret_made_under_an_idempotency_key_is_replayed_whole_and_kept_only_sealed(notify, auth, kind):
    unit_a, office = auth("unit", unit_id=notify.unit_a), auth("office")
    contact = _webhook_contact(notify, auth) if kind == "rotation" else None
    path, headers, body, field = {
        "webhook": (
            "/v1/contacts",
            unit_a,
            {
                "owner_kind": "unit",
                "owner_id": notify.unit_a,
                "channel": "webhook",
                "target": "https://hooks.example.cn/keyed",
            },
            "secret",
        ),
        "rotation": (f"/v1/contacts/{contact['id']}/secret" if contact else "", unit_a, None, "secret"),
        "subscription": (
            "/v1/subscriptions",
            office,
            {"url": "https://hooks.example.cn/keyed", "event_types": ["report.submitted"]},
            "secret",
        ),
        "feed-token": (f"/v1/units/{notify.unit_a}/feed-tokens", unit_a, None, "token"),
    }[kind]
    keyed = {**headers, "Idempotency-Key": f"secret-{kind}"}
    first = notify.client.post(path, headers=keyed, json=body)
    again = notify.client.post(path, headers=keyed, json=body)
    assert first.status_code in (200, 201), first.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()[field] == first.json()[field]
    assert _stored_anywhere(notify, first.json()[field]) == []


def test_a_dingtalk_robot_secret_is_stored_sealed_and_never_shown(notify, auth):
    secret = "SEC" + "0123456789abcdefABCDEF" * 3
    response = notify.client.post(
        "/v1/contacts",
        headers=auth("unit", unit_id=notify.unit_a),
        json={
            "owner_kind": "unit",
            "owner_id": notify.unit_a,
            "channel": "dingtalk",
            "secret": secret,
            "target": "https://oapi.dingtalk.com/robot/send?access_token=hostile",
        },
    )
    assert response.status_code == 201, response.text
    read = notify.client.get(response.headers["location"], headers=auth("office"))
    assert secret not in response.text + read.text
    assert _stored_anywhere(notify, secret) == []
    assert _sealed_secret(notify, Contact.__table__, response.json()["id"]) == secret


def test_a_subscription_secret_is_shown_once_and_stored_sealed(notify, auth):
    office = auth("office")
    created = notify.client.post(
        "/v1/subscriptions",
        headers=office,
        json={"url": "https://hooks.example.cn/subscriber", "event_types": ["report.submitted"]},
    ).json()
    rotated = notify.client.post(
        f"/v1/subscriptions/{created['id']}/secret", headers=office, json={"keep_previous": False}
    ).json()
    read = notify.client.get(f"/v1/subscriptions/{created['id']}", headers=office)
    listed = notify.client.get("/v1/subscriptions", params={"limit": 500}, headers=office)
    for secret in (created["secret"], rotated["secret"]):
        assert secret not in read.text + listed.text
        assert _stored_anywhere(notify, secret) == []
    assert _sealed_secret(notify, Subscription.__table__, created["id"]) == rotated["secret"]


def test_a_feed_token_is_stored_as_its_sha256_only_and_shown_once(notify, auth):
    unit_a = auth("unit", unit_id=notify.unit_a)
    created = notify.client.post(f"/v1/units/{notify.unit_a}/feed-tokens", headers=unit_a).json()
    token = created["token"]
    read = notify.client.get(f"/v1/units/{notify.unit_a}/feed-tokens/{created['id']}", headers=unit_a)
    listed = notify.client.get(f"/v1/units/{notify.unit_a}/feed-tokens", headers=unit_a)
    assert token not in read.text + listed.text
    assert _stored_anywhere(notify, token) == []
    [row] = [r for r in _rows(notify, FeedToken.__table__) if r["id"] == created["id"]]
    assert row["token_hash"] == token_hash(token)


def test_no_secret_is_logged_on_creation_rotation_delivery_or_feed_reading(notify, auth, receiver, caplog):
    caplog.set_level(logging.DEBUG)  # every logger,
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # and SQL statements with their parameters
    unit_a = auth("unit", unit_id=notify.unit_a)
    contact = _webhook_contact(notify, auth, target=f"{receiver.url}/hooks/logs")
    rotated = notify.client.post(f"/v1/contacts/{contact['id']}/secret", headers=unit_a).json()["secret"]
    receiver.endpoint("hooks/logs", secret=rotated)
    feed = notify.client.post(f"/v1/units/{notify.unit_a}/feed-tokens", headers=unit_a).json()
    assert notify.client.get(feed["feed_url"]).status_code == 200
    _deliver_one(notify, contact["id"])
    assert [call.verified for call in receiver.calls_to("hooks/logs")] == [True]
    logged = "\n".join(r.getMessage() for r in caplog.records if not _said_by_the_test_client(r))
    assert "INSERT INTO contacts" in logged, "the SQL was not captured, so the test proves little"
    for secret in (contact["secret"], rotated, feed["token"]):
        assert secret.removeprefix("whsec_") not in logged


def test_a_robot_access_token_in_its_url_is_not_logged_on_delivery(notify, auth, receiver, caplog):
    # INFO, where the HTTP client writes the URLs it calls. (The robot's URL is the contact's target, stored and
    # shown as given: below INFO the database driver writes it among the statement's parameters.)
    caplog.set_level(logging.INFO)
    access_token = "robot-access-token-" + "7" * 24
    response = notify.client.post(
        "/v1/contacts",
        headers=auth("unit", unit_id=notify.unit_a),
        json={
            "owner_kind": "unit",
            "owner_id": notify.unit_a,
            "channel": "dingtalk",
            "target": f"{receiver.url}/dingtalk/logs?access_token={access_token}",
        },
    )
    assert response.status_code == 201, response.text
    _deliver_one(notify, response.json()["id"], channel="dingtalk")
    assert len(receiver.calls_to("dingtalk/logs")) == 1
    assert "/dingtalk/logs?access_token=[redacted]" in caplog.text
    assert access_token not in caplog.text


def test_a_robot_whose_receiver_echoes_its_token_leaves_no_token_in_the_outbox_or_the_attempts(notify, auth, receiver):
    access_token, sign_secret = "robot-access-token-" + "8" * 24, "SEC" + "9" * 40
    echo = receiver.endpoint(
        "dingtalk/echo",
        answers=[
            Answer(500, json={"errmsg": f"bad request to ?access_token={access_token}&sign=abc", "key": sign_secret})
        ],
    )
    response = notify.client.post(
        "/v1/contacts",
        headers=auth("unit", unit_id=notify.unit_a),
        json={
            "owner_kind": "unit",
            "owner_id": notify.unit_a,
            "channel": "dingtalk",
            "secret": sign_secret,
            "target": f"{echo}?access_token={access_token}",
        },
    )
    assert response.status_code == 201, response.text
    _deliver_one(notify, response.json()["id"], channel="dingtalk")
    assert len(receiver.calls_to("dingtalk/echo")) == 1
    for table in ("notifications", "delivery_attempts"):
        text = repr(_rows(notify, notify.metadata.tables[table]))
        assert access_token not in text and "&sign=abc" not in text, table
    listed = notify.client.get("/v1/notifications", params={"limit": 500}, headers=auth("office"))
    assert access_token not in listed.text


def _said_by_the_test_client(record: logging.LogRecord) -> bool:
    """The test's own HTTP client logs the URLs it calls; the services' peer clients never call the test host."""
    return record.name == "httpx" and "http://testserver/" in record.getMessage()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_server_access_log_shows_a_feed_request_without_its_token(notify, auth):
    unit_a = auth("unit", unit_id=notify.unit_a)
    token = notify.client.post(f"/v1/units/{notify.unit_a}/feed-tokens", headers=unit_a).json()["token"]
    access_log, collect = logging.getLogger("uvicorn.access"), _Collect()
    with serve_in_thread(create_notify_app(notify.client.app.state.settings)) as url:
        # Once the server has configured its loggers: the test server logs at warning, production every request.
        level = access_log.level
        access_log.addHandler(collect)
        access_log.setLevel(logging.INFO)
        try:
            response = httpx.get(f"{url}/v1/calendars/units/{notify.unit_a}.ics", params={"token": token})
        finally:
            access_log.removeHandler(collect)
            access_log.setLevel(level)
    assert response.status_code == 200
    [line] = [line for line in collect.lines if ".ics" in line]
    assert token not in line and "token=[redacted]" in line


def _deliver_one(world, contact_id: int, channel: str = "webhook") -> None:
    """Put one reminder for the contact in the outbox and let the deliverer send it (signing with its secret)."""
    settings, database = world.client.app.state.settings, world.client.app.state.database

    async def send() -> None:
        # About unit B: the world's pause holds back reminders about unit A (its contact still receives this one).
        await add_notification(
            database, contact_id=contact_id, channel=channel, unit_id=world.unit_b, next_attempt_at=DUE
        )
        await deliver_due(database, settings, sources=TARGET_SOURCES, now=DUE, limit=10)

    world.client.portal.call(send)


def test_a_workflow_with_planted_secrets_leaves_none_in_any_table_answer_or_log(world, auth, receiver, caplog):
    """Secrets planted through a scripted workflow across the three services, then looked for everywhere: every
    column of every table of the three databases, every answer after the one that showed a secret, the logs."""
    caplog.set_level(logging.INFO)
    notify, unit_a, office = world("notify_api"), auth("unit", unit_id=world("notify_api").unit_a), auth("office")
    robot_token, robot_secret = "planted-robot-token-" + "5" * 20, "SEC" + "planted" * 8
    shown: list[str] = [robot_token, robot_secret]
    answers: list[str] = []
    hook = notify.client.post(
        "/v1/contacts",
        headers=unit_a,
        json={
            "owner_kind": "unit",
            "owner_id": notify.unit_a,
            "channel": "webhook",
            "target": receiver.endpoint("hooks/planted"),
        },
    ).json()
    shown.append(hook["secret"])
    robot = notify.client.post(
        "/v1/contacts",
        headers=unit_a,
        json={
            "owner_kind": "unit",
            "owner_id": notify.unit_a,
            "channel": "dingtalk",
            "secret": robot_secret,
            "target": receiver.endpoint("dingtalk/planted") + f"?access_token={robot_token}",
        },
    ).json()
    rotated = notify.client.post(f"/v1/contacts/{hook['id']}/secret", headers=unit_a)
    shown.append(rotated.json()["secret"])
    feed = notify.client.post(f"/v1/units/{notify.unit_a}/feed-tokens", headers=unit_a, params={}).json()
    shown.append(feed["token"])
    subscription = notify.client.post(
        "/v1/subscriptions",
        headers={**office, "Idempotency-Key": "planted"},
        json={"url": "https://hooks.example.cn/planted", "event_types": ["report.submitted"]},
    ).json()
    shown.append(subscription["secret"])
    _deliver_one(notify, hook["id"])
    _deliver_one(notify, robot["id"], channel="dingtalk")
    answers.append(notify.client.get(f"/v1/calendars/units/{notify.unit_a}.ics", params={"token": feed["token"]}).text)
    for path in (
        "/v1/contacts",
        "/v1/notifications",
        "/v1/subscriptions",
        f"/v1/units/{notify.unit_a}/feed-tokens",
        f"/v1/contacts/{hook['id']}",
        f"/v1/contacts/{robot['id']}",
        f"/v1/history/contact/{robot['id']}",
    ):
        answers.append(
            notify.client.get(path, params={"limit": 500} if "history" not in path else {}, headers=office).text
        )
    for service in ("tasks_api", "reporting_api", "notify_api"):
        for secret in shown:
            assert _stored_anywhere(world(service), secret) == [], (service, secret[:12])
    for secret in shown:
        assert not any(secret in text for text in answers), secret[:12]
        assert secret not in caplog.text, secret[:12]


@pytest.mark.parametrize(
    "line",
    [
        '"GET /v1/plans?jwt=eyJhbGciOi.abc.def HTTP/1.1" 200',
        '"GET /v1/calendars/units/3.ics?token=feed-secret-token HTTP/1.1" 200',
    ],
)
def test_a_token_in_a_query_string_is_redacted_from_the_access_log(line):
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s", (line,), None)
    RedactQueryTokens().filter(record)
    assert "[redacted]" in record.getMessage()
    assert "eyJhbGciOi" not in record.getMessage() and "feed-secret-token" not in record.getMessage()
