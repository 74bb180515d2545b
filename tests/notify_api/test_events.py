"""Plan events: intake from the producers' outboxes, fan-out to subscriptions, signed delivery, subscriptions."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.cli import main
from services.common import clock
from services.notify_api.app import create_app as create_notify_app
from services.notify_api.db import change_log
from services.notify_api.deliveries.jobs import deliver_all_due
from services.notify_api.dispatches.service import TARGET_SOURCES
from services.notify_api.events.models import ReceivedEvent, Subscription
from services.notify_api.events.service import notifications, publish_local_event
from services.tasks_api.app import create_app as create_tasks_app
from services.tasks_api.worker import worker as tasks_worker
from tests.conftest import serve_in_thread, tasks_settings
from tests.notify_api.conftest import notify_settings
from tests.notify_api.outbox import run
from tests.notify_api.receivers import Answer
from tests.problems import assert_problem
from tests.tasks_api.factories import import_small_plan
from tests.tasks_api.test_outbox import events, mark_unpublished, relay

SUBMITTED = {"report_id": 7, "plan_id": 1, "item_id": 11, "unit_id": 3, "period": "2024-Q1", "submission": 1}
# What a subscriber receives for it: the data as received, the payload's version and the pages of its item and report.
MESSAGE = {
    "type": "report.submitted",
    "version": 1,
    "timestamp": "2026-03-02T02:00:00Z",
    "data": SUBMITTED,
    "links": {"item": "https://duban.example.cn/plans/1/items/11", "report": "https://duban.example.cn/reports/7"},
}


@pytest.fixture
def client(notify_db):
    """notify_api on an empty database; these tests never reach its peers."""
    with TestClient(create_notify_app(notify_settings(notify_db)), raise_server_exceptions=False) as app:
        yield app


def event(type_="report.submitted", data=None, **fields):
    return {
        "event_id": str(uuid.uuid4()),
        "type": type_,
        "occurred_at": "2026-03-02T02:00:00Z",
        "data": SUBMITTED if data is None else data,
        "source": "reporting_api",
        **fields,
    }


def subscribe(client, auth, url="http://127.0.0.1:9/hooks/city", types=("report.submitted",), **fields):
    response = client.post(
        "/v1/subscriptions", json={"url": url, "event_types": list(types), **fields}, headers=auth("office")
    )
    assert response.status_code == 201, response.text
    return response.json()


def rows(url, table, *where):
    async def read(db):
        async with db.read() as conn:
            return [dict(r) for r in (await conn.execute(select(table).where(*where).order_by(table.c.id))).mappings()]

    return run(url, read)


def queued(url):
    return rows(url, notifications)


def deliver(url):
    return run(url, lambda db: deliver_all_due(db, notify_settings(url), sources=TARGET_SOURCES, now=clock.now()))


# -- intake and fan-out -----------------------------------------------------------------------------


def test_an_event_fans_out_one_notification_per_matching_enabled_subscription(client, notify_db, auth):
    wanted = [
        subscribe(client, auth, types=["report.submitted"]),
        subscribe(client, auth, types=["item.assigned", "report.submitted"]),
    ]
    subscribe(client, auth, types=["item.assigned"])
    off = subscribe(client, auth, types=["report.submitted"])
    client.patch(
        f"/v1/subscriptions/{off['id']}", json={"enabled": False}, headers=auth("office", **{"If-Match": '"1"'})
    )
    sent = event()
    response = client.post("/v1/events", json=sent, headers=auth("service"))
    assert response.status_code == 202, response.text
    assert (response.json()["duplicate"], response.json()["notifications"]) == (False, 2)
    made = queued(notify_db)
    assert [n["recipient_id"] for n in made] == [s["id"] for s in wanted]
    first = made[0]
    assert (first["purpose"], first["channel"], first["recipient_kind"], first["contact_id"], first["status"]) == (
        "event",
        "webhook",
        "subscription",
        wanted[0]["id"],
        "pending",
    )
    assert first["dedupe_key"] == f"event:{sent['event_id']}:sub:{wanted[0]['id']}"
    assert first["webhook_id"].startswith("msg_") and first["webhook_id"] != made[1]["webhook_id"]
    assert first["payload"] == MESSAGE
    assert (first["plan_id"], first["item_id"], first["unit_id"]) == (1, 11, 3)


@pytest.mark.parametrize("type_", ["item.closeout_requested", "item.closed", "item.closeout_refused", "item.reopened"])
def test_the_close_out_events_of_tasks_api_reach_their_subscribers(client, notify_db, auth, type_):
    subscribe(client, auth, types=[type_])
    closed = {
        "plan_id": 1,
        "item_id": 11,
        "item_key": "T9",
        "item_number": "9",
        "item_title": "高速公路",
        "closeout_id": 4,
        "unit_id": 3,
        "closed_on": "2026-03-02",
        "reason": None,
        "actor": "office",
    }
    response = client.post("/v1/events", json=event(type_, closed, source="tasks_api"), headers=auth("service"))
    assert (response.status_code, response.json()["notifications"]) == (202, 1)


def test_a_repeated_event_answers_200_and_queues_nothing_more(client, notify_db, auth):
    subscribe(client, auth)
    sent = event()
    assert client.post("/v1/events", json=sent, headers=auth("service")).status_code == 202
    again = client.post("/v1/events", json=sent, headers=auth("service"))
    assert again.status_code == 200
    assert (again.json()["duplicate"], again.json()["notifications"]) == (True, 0)
    assert len(queued(notify_db)) == 1
    assert len(rows(notify_db, ReceivedEvent.__table__)) == 1


def test_an_event_no_subscription_wants_is_recorded_and_queues_nothing(client, notify_db, auth):
    subscribe(client, auth, types=["item.assigned"])
    response = client.post("/v1/events", json=event(), headers=auth("service"))
    assert (response.status_code, response.json()["notifications"]) == (202, 0)
    assert queued(notify_db) == []


@pytest.mark.parametrize("role", ["office", "unit", "viewer"])
def test_only_a_service_token_posts_events(client, auth, role):
    assert_problem(
        client.post("/v1/events", json=event(), headers=auth(role, unit_id=3 if role == "unit" else None)), 403
    )


def test_posting_an_event_needs_a_token(client):
    assert_problem(client.post("/v1/events", json=event()), 401)


@pytest.mark.parametrize(
    "change", [{"type": "report.deleted"}, {"event_id": ""}, {"surprise": 1}, {"data": ["not", "an", "object"]}]
)
def test_a_malformed_event_is_refused(client, notify_db, auth, change):
    assert_problem(client.post("/v1/events", json=event(**change), headers=auth("service")), 422)
    assert rows(notify_db, ReceivedEvent.__table__) == []


def test_notify_api_fans_out_its_own_events_once_per_event_id(client, notify_db, auth):
    subscribe(client, auth, types=["notice.escalated"])

    async def escalate(db):
        async with db.transaction() as conn:
            return [
                await publish_local_event(
                    conn,
                    "notice.escalated",
                    {"item_id": 11, "level": "red"},
                    base_url="https://duban.example.cn",
                    event_id="notice.escalated:42",
                )
                for _ in range(2)
            ]

    assert run(notify_db, escalate) == [1, 0]
    [made] = queued(notify_db)
    assert made["payload"]["type"] == "notice.escalated"
    assert rows(notify_db, ReceivedEvent.__table__)[0]["source"] == "notify_api"


# -- delivery through the deliveries machinery ------------------------------------------------------


def test_an_event_reaches_the_subscriber_signed_and_exactly_as_received(client, notify_db, auth, receiver):
    created = subscribe(client, auth)
    url = receiver.endpoint("hooks/city", secret=created["secret"])
    client.patch(f"/v1/subscriptions/{created['id']}", json={"url": url}, headers=auth("office", **{"If-Match": '"1"'}))
    client.post("/v1/events", json=event(), headers=auth("service"))
    assert deliver(notify_db).sent == 1
    [call] = receiver.calls_to("hooks/city")
    assert call.verified is True
    assert call.json() == MESSAGE
    assert call.webhook_id == queued(notify_db)[0]["webhook_id"]


def test_a_subscriber_answering_410_is_disabled_and_gets_nothing_more(client, notify_db, auth, receiver):
    url = receiver.endpoint("hooks/gone", answers=[Answer(410)])
    created = subscribe(client, auth, url=url)
    client.post("/v1/events", json=event(), headers=auth("service"))
    deliver(notify_db)
    read = client.get(f"/v1/subscriptions/{created['id']}", headers=auth("office")).json()
    assert read["enabled"] is False and "410" in read["disabled_reason"]
    response = client.post("/v1/events", json=event(), headers=auth("service"))
    assert response.json()["notifications"] == 0


def _verifies(call, secret):
    try:
        Webhook(secret).verify(call.body, call.headers)
    except WebhookVerificationError:
        return False
    return True


def test_a_rotated_secret_signs_at_once_and_the_previous_one_until_the_next_rotation(client, notify_db, auth, receiver):
    url = receiver.endpoint("hooks/rotating")
    created = subscribe(client, auth, url=url)
    rotated = client.post(f"/v1/subscriptions/{created['id']}/secret", headers=auth("office"))
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != created["secret"]
    assert rotated.headers["ETag"] == '"2"'
    client.post("/v1/events", json=event(), headers=auth("service"))
    deliver(notify_db)
    [call] = receiver.calls_to("hooks/rotating")
    assert _verifies(call, rotated.json()["secret"]) and _verifies(call, created["secret"])
    final = client.post(
        f"/v1/subscriptions/{created['id']}/secret", json={"keep_previous": False}, headers=auth("office")
    ).json()
    client.post("/v1/events", json=event(), headers=auth("service"))
    deliver(notify_db)
    last = receiver.calls_to("hooks/rotating")[-1]
    assert _verifies(last, final["secret"]) and not _verifies(last, rotated.json()["secret"])


# -- managing subscriptions -------------------------------------------------------------------------


def test_the_office_subscribes_and_sees_the_secret_only_once(client, auth):
    response = client.post(
        "/v1/subscriptions",
        json={
            "url": "https://city.example/hooks",
            "description": "市大数据局",
            "event_types": ["report.accepted", "report.accepted"],
        },
        headers=auth("office"),
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == f"/v1/subscriptions/{created['id']}"
    assert response.headers["ETag"] == '"1"'
    assert created["secret"].startswith("whsec_")
    assert (created["event_types"], created["enabled"], created["created_by"]) == (
        ["report.accepted"],
        True,
        "test-office-0",
    )
    read = client.get(f"/v1/subscriptions/{created['id']}", headers=auth("office"))
    assert read.headers["ETag"] == '"1"'
    listed = client.get("/v1/subscriptions", headers=auth("office")).json()["data"]
    for shown in (read.json(), *listed):
        assert "secret" not in shown and "secret_encrypted" not in shown


def test_a_subscription_secret_is_stored_sealed_and_kept_out_of_the_history(client, notify_db, auth):
    created = subscribe(client, auth)
    client.post(f"/v1/subscriptions/{created['id']}/secret", headers=auth("office"))
    client.delete(f"/v1/subscriptions/{created['id']}", headers=auth("office", **{"If-Match": '"2"'}))
    history = json.dumps([r["changes"] for r in rows(notify_db, change_log)])
    assert created["secret"] not in history and "secret_encrypted" not in history
    assert "subscription" in {r["entity"] for r in rows(notify_db, change_log)}


def test_a_stored_secret_is_not_the_secret_in_clear(client, notify_db, auth):
    created = subscribe(client, auth)
    [stored] = rows(notify_db, Subscription.__table__)
    assert created["secret"].encode() not in stored["secret_encrypted"]


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://city.example/hooks", "event_types": []},
        {"url": "https://city.example/hooks", "event_types": ["report.deleted"]},
        {"url": "ftp://city.example/hooks", "event_types": ["report.submitted"]},
        {"url": "https://city.example/hooks", "event_types": ["report.submitted"], "secret": "whsec_mine"},
    ],
)
def test_a_subscription_needs_an_http_url_and_known_event_types(client, auth, body):
    assert_problem(client.post("/v1/subscriptions", json=body, headers=auth("office")), 422)


@pytest.mark.parametrize("role", ["unit", "viewer", "service"])
def test_only_the_office_manages_subscriptions(client, auth, role):
    headers = auth(role, unit_id=3 if role == "unit" else None)
    assert_problem(client.get("/v1/subscriptions", headers=headers), 403)
    assert_problem(
        client.post(
            "/v1/subscriptions",
            json={"url": "https://city.example/h", "event_types": ["item.assigned"]},
            headers=headers,
        ),
        403,
    )


def test_subscriptions_need_a_token(client):
    assert_problem(client.get("/v1/subscriptions"), 401)


def test_an_unknown_subscription_is_404(client, auth):
    assert_problem(client.get("/v1/subscriptions/999", headers=auth("office")), 404)
    assert_problem(client.post("/v1/subscriptions/999/secret", headers=auth("office")), 404)


def test_changing_a_subscription_needs_the_current_etag(client, auth):
    created = subscribe(client, auth)
    path = f"/v1/subscriptions/{created['id']}"
    assert_problem(client.patch(path, json={"description": "新"}, headers=auth("office")), 428)
    assert_problem(client.patch(path, json={"description": "新"}, headers=auth("office", **{"If-Match": '"9"'})), 412)
    changed = client.patch(
        path,
        json={"description": "新", "event_types": ["item.assigned"]},
        headers=auth("office", **{"If-Match": '"1"'}),
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["description"], changed.json()["event_types"], changed.headers["ETag"]) == (
        "新",
        ["item.assigned"],
        '"2"',
    )


def test_re_enabling_a_subscription_clears_why_it_was_disabled(client, auth):
    created = subscribe(client, auth)
    path = f"/v1/subscriptions/{created['id']}"
    off = client.patch(path, json={"enabled": False}, headers=auth("office", **{"If-Match": '"1"'})).json()
    assert off["disabled_reason"] == "disabled by test-office-0"
    on = client.patch(path, json={"enabled": True}, headers=auth("office", **{"If-Match": '"2"'})).json()
    assert (on["enabled"], on["disabled_reason"]) == (True, None)


def test_deleting_a_subscription_cancels_what_is_queued_for_it(client, notify_db, auth):
    created = subscribe(client, auth)
    client.post("/v1/events", json=event(), headers=auth("service"))
    path = f"/v1/subscriptions/{created['id']}"
    assert_problem(client.delete(path, headers=auth("office")), 428)
    assert client.delete(path, headers=auth("office", **{"If-Match": '"1"'})).status_code == 204
    assert [n["status"] for n in queued(notify_db)] == ["cancelled"]
    assert_problem(client.get(path, headers=auth("office")), 404)


# -- the producers' relay into a running notify_api -------------------------------------------------


@pytest.fixture
def notify_server(notify_db):
    with serve_in_thread(create_notify_app(notify_settings(notify_db))) as url:
        yield url


def subscribe_over_http(url, auth, types):
    response = httpx.post(
        f"{url}/v1/subscriptions",
        json={"url": "http://127.0.0.1:9/hooks", "event_types": types},
        headers=auth("office"),
    )
    assert response.status_code == 201, response.text


def test_the_relay_publishes_to_a_running_notify_api_and_marks_events_published(
    notify_server, notify_db, tasks_client, tasks_database, auth
):
    subscribe_over_http(notify_server, auth, ["item.assigned"])
    import_small_plan(tasks_client, auth)
    assert relay(tasks_database, notify_server) == 4
    assert all(e["published_at"] is not None and e["attempts"] == 1 for e in events(tasks_database))
    received = rows(notify_db, ReceivedEvent.__table__)
    assert sorted(r["event_id"] for r in received) == sorted(e["event_id"] for e in events(tasks_database))
    assert {r["source"] for r in received} == {"tasks_api"}
    assert len(queued(notify_db)) == 4
    assert relay(tasks_database, notify_server) == 0, "nothing is left to publish"


def test_a_relay_retry_of_the_same_events_does_not_fan_out_again(
    notify_server, notify_db, tasks_client, tasks_database, auth
):
    subscribe_over_http(notify_server, auth, ["item.assigned"])
    import_small_plan(tasks_client, auth)
    relay(tasks_database, notify_server)
    mark_unpublished(tasks_database)
    assert relay(tasks_database, notify_server) == 4
    assert len(rows(notify_db, ReceivedEvent.__table__)) == 4
    assert len(queued(notify_db)) == 4


def test_the_tasks_api_worker_relays_when_notify_api_url_is_set(
    notify_server, notify_db, tasks_client, tasks_database, auth
):
    subscribe_over_http(notify_server, auth, ["item.assigned"])
    import_small_plan(tasks_client, auth)
    settings = tasks_settings(tasks_database).model_copy(update={"notify_api_url": notify_server})

    async def one_pass():
        async with tasks_worker(settings) as worker:
            await worker.schedule_periodic()
            return await worker.run_once()

    assert asyncio.run(one_pass()) == 1
    assert len(queued(notify_db)) == 4
    assert all(e["published_at"] is not None for e in events(tasks_database))


def test_the_tasks_api_app_relays_nothing_itself(notify_server, notify_db, tasks_client, tasks_database, auth):
    settings = tasks_settings(tasks_database).model_copy(update={"notify_api_url": notify_server})
    with TestClient(create_tasks_app(settings), raise_server_exceptions=False) as relaying:
        import_small_plan(relaying, auth)
        time.sleep(2.5)  # longer than the relay's interval
    assert all(e["published_at"] is None for e in events(tasks_database))


def test_duban_relay_publishes_for_cron_and_says_what_is_left(
    notify_server, notify_db, tasks_client, tasks_database, auth, monkeypatch, capsys
):
    monkeypatch.setenv("TASKS_API_DATABASE_URL", tasks_database)
    import_small_plan(tasks_client, auth)
    assert main(["relay", "tasks_api", "--notify-api-url", "http://127.0.0.1:9"]) == 1
    assert "tasks_api: 0 event(s) published, 4 pending" in capsys.readouterr().out
    assert main(["relay", "tasks_api", "--notify-api-url", notify_server]) == 0
    assert "tasks_api: 4 event(s) published, 0 pending" in capsys.readouterr().out
    assert len(rows(notify_db, ReceivedEvent.__table__)) == 4
