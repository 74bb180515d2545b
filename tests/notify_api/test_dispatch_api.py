"""The delivery endpoints: dispatch runs, the outbox list and detail, requeue, read receipts, the CLI and loop."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from services.cli import main
from services.common import clock
from services.common.clock import SHANGHAI
from services.common.secrets import new_webhook_secret
from services.notify_api.db import job_queue
from services.notify_api.deliveries.clock import now_utc
from services.notify_api.deliveries.jobs import deliver_due
from services.notify_api.dispatches.jobs import DISPATCH
from services.notify_api.dispatches.service import TARGET_SOURCES
from services.notify_api.worker import worker as notify_worker
from tests.notify_api.conftest import add_contact as create_contact
from tests.notify_api.outbox import T0, add_contact, add_notification, attempts_of, notification, run
from tests.notify_api.receivers import Answer
from tests.problems import assert_problem


def _url(client):
    return client.app.state.settings.database_url


def _outbox(client, receiver, *units, status="pending", **values):
    """One webhook contact per unit and a notification to each; returns the notifications."""
    settings = client.app.state.settings

    async def work(db):
        rows = []
        for unit in units:
            target = receiver.endpoint(f"hooks/unit-{unit}", secret=new_webhook_secret())
            contact_id = await add_contact(
                db,
                settings,
                channel="webhook",
                target=target,
                owner_id=unit,
                secret=receiver.secrets[f"hooks/unit-{unit}"],
            )
            rows.append(
                await add_notification(
                    db, contact_id=contact_id, channel="webhook", unit_id=unit, status=status, **values
                )
            )
        return rows

    return run(_url(client), work)


def _first_deadline(tasks_server: str, auth) -> dict:
    """A real deadline of the Quzhou plan with a lead unit."""
    rows = httpx.get(
        f"{tasks_server}/v1/deadlines",
        params={"from": "2019-12-01", "to": "2020-12-31", "limit": 500},
        headers=auth("viewer"),
        timeout=30,
    ).json()["data"]
    return next(r for r in rows if any(u["role"] == "lead" for u in r["units"]))


def test_a_dispatch_before_a_real_deadline_sends_signed_webhooks_and_email_and_runs_once(
    notify_app_factory, tasks_server, auth, receiver, mailbox
):
    client = notify_app_factory(smtp_port=mailbox.port)
    deadline = _first_deadline(tasks_server, auth)
    unit_id = next(u["unit_id"] for u in deadline["units"] if u["role"] == "lead")
    webhook = create_contact(client, auth("office"), "unit", unit_id, "webhook", receiver.endpoint("hooks/lead"))
    receiver.secrets["hooks/lead"] = webhook["secret"]  # shown once, at creation
    create_contact(client, auth("office"), "unit", unit_id, "email", "lead@quzhou.gov.cn")
    as_of = (
        datetime.combine(date.fromisoformat(deadline["due_on"]) - timedelta(days=3), datetime.min.time(), SHANGHAI)
        .replace(hour=10)
        .isoformat()
    )

    first = client.post("/v1/dispatches", json={"as_of": as_of}, headers=auth("office"))
    assert first.status_code == 201, first.text
    counts = first.json()
    assert counts["created"] >= 2 and counts["sent"] == counts["created"] and counts["failed"] == 0
    assert first.headers["Location"] == f"/v1/dispatches/{counts['id']}"
    calls = receiver.calls_to("hooks/lead")
    assert calls and all(c.verified for c in calls)
    assert len(calls) + len(mailbox.messages) == counts["sent"]
    assert any(deadline["item_number"] in m["Subject"] for m in mailbox.messages)

    again = client.post("/v1/dispatches", json={"as_of": as_of}, headers=auth("office"))
    assert (again.status_code, again.json()) == (200, counts)
    later = client.post("/v1/dispatches", json={"as_of": as_of.replace("T10:", "T11:")}, headers=auth("office"))
    assert (later.status_code, later.json()["created"], later.json()["sent"]) == (201, 0, 0)
    assert len(receiver.calls_to("hooks/lead")) == len(calls)


def test_a_dispatch_delivers_what_is_due_and_reads_back(notify_client, auth, receiver):
    [queued] = _outbox(notify_client, receiver, 999001, next_attempt_at=now_utc() - timedelta(minutes=1))
    response = notify_client.post("/v1/dispatches", headers=auth("service"))
    assert response.status_code == 201, response.text
    assert (response.json()["sent"], response.json()["failed"]) == (1, 0)
    read = notify_client.get(response.headers["Location"], headers=auth("viewer"))
    assert read.status_code == 200
    assert read.json() == response.json()
    assert read.json()["finished_at"] is not None
    assert receiver.deliveries_by_id() == {queued["webhook_id"]: 1}


def test_an_unknown_dispatch_is_404(notify_client, auth):
    assert_problem(notify_client.get("/v1/dispatches/4242", headers=auth("office")), 404)


@pytest.mark.parametrize("role", ["viewer", "unit"])
def test_viewers_and_units_cannot_dispatch(notify_client, auth, role):
    assert_problem(
        notify_client.post("/v1/dispatches", json={}, headers=auth(role, unit_id=1 if role == "unit" else None)), 403
    )


def test_dispatching_needs_a_token(notify_client):
    assert_problem(notify_client.post("/v1/dispatches", json={}), 401)


def test_a_dispatch_body_with_unknown_fields_is_refused(notify_client, auth):
    assert_problem(
        notify_client.post("/v1/dispatches", json={"as_of": None, "force": True}, headers=auth("office")), 422
    )


def test_a_unit_lists_only_its_own_notifications(notify_client, auth, receiver):
    mine, _ = _outbox(notify_client, receiver, 11, 12)
    listed = notify_client.get("/v1/notifications", headers=auth("unit", unit_id=11))
    assert listed.status_code == 200
    assert [n["id"] for n in listed.json()["data"]] == [mine["id"]]
    assert len(notify_client.get("/v1/notifications", headers=auth("viewer")).json()["data"]) == 2


def _about_unit_for_others(client, unit_id):
    """Two notifications about `unit_id` that were not sent to it: an event delivery to a subscriber, and the
    copy of a red notice sent to the office."""

    async def work(db):
        return [
            await add_notification(
                db,
                contact_id=None,
                channel="webhook",
                unit_id=unit_id,
                purpose="event",
                recipient_kind="subscription",
                recipient_id=1,
                level=None,
            ),
            await add_notification(
                db,
                contact_id=None,
                channel="email",
                unit_id=unit_id,
                level="red",
                recipient_kind="office",
                recipient_id=0,
            ),
        ]

    return run(_url(client), work)


def test_a_unit_never_sees_event_deliveries_or_copies_sent_to_others_about_it(notify_client, auth, receiver):
    [mine] = _outbox(notify_client, receiver, 11)
    others = _about_unit_for_others(notify_client, 11)
    listed = notify_client.get("/v1/notifications", params={"unit_id": 11}, headers=auth("unit", unit_id=11))
    assert [n["id"] for n in listed.json()["data"]] == [mine["id"]]
    for row in others:
        assert_problem(notify_client.get(f"/v1/notifications/{row['id']}", headers=auth("unit", unit_id=11)), 404)
        assert_problem(notify_client.post(f"/v1/notifications/{row['id']}/read", headers=auth("unit", unit_id=11)), 404)


def test_the_office_sees_event_deliveries_and_copies_about_a_unit(notify_client, auth, receiver):
    [mine] = _outbox(notify_client, receiver, 11)
    others = _about_unit_for_others(notify_client, 11)
    listed = notify_client.get("/v1/notifications", params={"unit_id": 11}, headers=auth("office"))
    assert [n["id"] for n in listed.json()["data"]] == [mine["id"], *(row["id"] for row in others)]


def test_a_unit_asking_for_another_units_notifications_is_forbidden(notify_client, auth):
    assert_problem(
        notify_client.get("/v1/notifications", params={"unit_id": 12}, headers=auth("unit", unit_id=11)), 403
    )


def test_another_units_notification_is_404_to_a_unit_as_if_it_did_not_exist(notify_client, auth, receiver):
    _, theirs = _outbox(notify_client, receiver, 11, 12)
    assert_problem(notify_client.get(f"/v1/notifications/{theirs['id']}", headers=auth("unit", unit_id=11)), 404)


def test_notifications_need_a_token(notify_client):
    assert_problem(notify_client.get("/v1/notifications"), 401)


def test_an_unknown_notification_is_404(notify_client, auth):
    assert_problem(notify_client.get("/v1/notifications/4242", headers=auth("office")), 404)


def test_notifications_filter_by_status_channel_deadline_and_time(notify_client, auth, receiver):
    first, second = _outbox(notify_client, receiver, 11, 12)
    _outbox(notify_client, receiver, 13, status="dead", deadline_id=99, created_at=T0 + timedelta(days=2))

    def ids(**params):
        response = notify_client.get("/v1/notifications", params=params, headers=auth("office"))
        assert response.status_code == 200, response.text
        return [n["id"] for n in response.json()["data"]]

    assert ids(status="pending") == [first["id"], second["id"]]
    assert ids(unit_id=12) == [second["id"]]
    assert ids(channel="email") == []
    assert len(ids(deadline_kind="item", deadline_id=99)) == 1
    assert ids(created_from=(T0 + timedelta(days=1)).isoformat(), status="pending") == []
    assert ids(created_to=(T0 + timedelta(days=1)).isoformat()) == [first["id"], second["id"]]


def test_a_deadline_id_without_its_kind_is_refused(notify_client, auth):
    assert_problem(notify_client.get("/v1/notifications", params={"deadline_id": 3}, headers=auth("office")), 422)


def test_the_notification_list_pages_by_cursor(notify_client, auth, receiver):
    rows = _outbox(notify_client, receiver, 11, 12, 13)
    first = notify_client.get("/v1/notifications", params={"limit": 2}, headers=auth("office")).json()
    rest = notify_client.get(
        "/v1/notifications", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth("office")
    ).json()
    assert [n["id"] for n in first["data"] + rest["data"]] == [r["id"] for r in rows]
    assert rest["next_cursor"] is None


def test_a_dead_notification_requeued_by_the_office_is_delivered(notify_client, auth, receiver):
    [sent] = _outbox(notify_client, receiver, 11)
    receiver.scripts["hooks/unit-11"] = [Answer(400)]
    settings = notify_client.app.state.settings

    def deliver(now):
        return run(_url(notify_client), lambda db: deliver_due(db, settings, sources=TARGET_SOURCES, now=now, limit=10))

    deliver(T0)
    assert run(_url(notify_client), lambda db: notification(db, sent["id"]))["status"] == "dead"

    requeued = notify_client.post(f"/v1/notifications/{sent['id']}/retry", headers=auth("office"))
    assert requeued.status_code == 200, requeued.text
    assert (requeued.json()["status"], requeued.json()["attempts"]) == ("pending", 0)
    assert deliver(now_utc()).sent == 1
    detail = notify_client.get(f"/v1/notifications/{sent['id']}", headers=auth("unit", unit_id=11)).json()
    assert detail["status"] == "delivered"
    assert [(a["number"], a["status_code"]) for a in detail["delivery_attempts"]] == [(1, 400), (2, 200)]
    assert receiver.deliveries_by_id() == {sent["webhook_id"]: 2}


@pytest.mark.parametrize("role", ["viewer", "unit", "service"])
def test_only_the_office_requeues_a_notification(notify_client, auth, receiver, role):
    [sent] = _outbox(notify_client, receiver, 11, status="dead")
    assert_problem(
        notify_client.post(
            f"/v1/notifications/{sent['id']}/retry", headers=auth(role, unit_id=11 if role == "unit" else None)
        ),
        403,
    )


def test_a_delivered_notification_cannot_be_requeued(notify_client, auth, receiver):
    [sent] = _outbox(notify_client, receiver, 11, status="delivered")
    assert_problem(notify_client.post(f"/v1/notifications/{sent['id']}/retry", headers=auth("office")), 409)


def test_requeueing_an_unknown_notification_is_404(notify_client, auth):
    assert_problem(notify_client.post("/v1/notifications/4242/retry", headers=auth("office")), 404)


def test_the_recipient_unit_marks_a_notice_read_once(notify_client, auth, receiver):
    [sent] = _outbox(notify_client, receiver, 11, status="delivered")
    first = notify_client.post(f"/v1/notifications/{sent['id']}/read", headers=auth("unit", unit_id=11))
    assert first.status_code == 200, first.text
    assert first.json()["read_at"] is not None
    time.sleep(0.01)
    second = notify_client.post(f"/v1/notifications/{sent['id']}/read", headers=auth("office"))
    assert second.json()["read_at"] == first.json()["read_at"]


def test_a_unit_acknowledges_a_webhook_notice_by_the_id_it_carries(notify_client, auth, receiver):
    _outbox(notify_client, receiver, 11, next_attempt_at=now_utc() - timedelta(minutes=1))
    assert notify_client.post("/v1/dispatches", headers=auth("service")).json()["sent"] == 1
    [call] = receiver.calls_to("hooks/unit-11")
    acknowledged = notify_client.post(
        f"/v1/notifications/{call.json()['data']['notification_id']}/read", headers=auth("unit", unit_id=11)
    )
    assert acknowledged.status_code == 200, acknowledged.text
    assert (acknowledged.json()["status"], acknowledged.json()["webhook_id"]) == ("delivered", call.webhook_id)
    assert acknowledged.json()["read_at"] is not None


@pytest.mark.parametrize("role", ["viewer", "service"])
def test_only_the_recipient_unit_or_the_office_marks_a_notice_read(notify_client, auth, receiver, role):
    [sent] = _outbox(notify_client, receiver, 11, status="delivered")
    assert_problem(notify_client.post(f"/v1/notifications/{sent['id']}/read", headers=auth(role)), 403)


def test_another_unit_marking_a_notice_read_is_404_as_if_it_did_not_exist(notify_client, auth, receiver):
    [sent] = _outbox(notify_client, receiver, 11, status="delivered")
    assert_problem(notify_client.post(f"/v1/notifications/{sent['id']}/read", headers=auth("unit", unit_id=12)), 404)


def test_duban_dispatch_runs_one_dispatch_for_cron(
    notify_client, auth, receiver, tasks_server, reporting_peer, monkeypatch, capsys
):
    _outbox(notify_client, receiver, 999001, next_attempt_at=now_utc() - timedelta(minutes=1))
    for name, value in (
        ("DATABASE_URL", _url(notify_client)),
        ("TASKS_API_URL", tasks_server),
        ("REPORTING_API_URL", reporting_peer),
        ("ENVIRONMENT", "test"),
    ):
        monkeypatch.setenv(f"NOTIFY_API_{name}", value)
    assert main(["dispatch", "--as-of", "2026-03-02T10:00"]) == 0
    assert "as of 2026-03-02T02:00:00Z: created 0, sent 1, failed 0" in capsys.readouterr().out
    assert main(["dispatch", "--as-of", "2026-03-02T10:00+08:00"]) == 0
    assert "dispatched before; nothing new" in capsys.readouterr().out


def _worker(client, **overrides):
    return notify_worker(client.app.state.settings.model_copy(update=overrides))


def test_the_workers_interval_dispatch_delivers_what_is_due(notify_app_factory, auth, receiver):
    client = notify_app_factory()
    [queued] = _outbox(client, receiver, 999001, next_attempt_at=now_utc() - timedelta(minutes=1))

    async def one_pass():
        async with _worker(client, dispatch_interval_seconds=60) as worker:
            await worker.schedule_periodic()
            await worker.run_once()
            async with worker.db.read() as conn:
                return (await conn.execute(select(job_queue.c.result).where(job_queue.c.kind == DISPATCH))).scalar()

    assert asyncio.run(one_pass())["outcome"] == "planned"
    assert receiver.deliveries_by_id() == {queued["webhook_id"]: 1}


def test_the_api_runs_no_dispatch_loop(notify_app_factory, auth, receiver):
    client = notify_app_factory(dispatch_interval_seconds=1)
    _outbox(client, receiver, 999001, next_attempt_at=now_utc() - timedelta(minutes=1))
    time.sleep(1.5)
    assert not receiver.calls


def _until(condition, *, seconds):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_stopping_the_worker_lets_the_delivery_in_flight_finish_and_record_its_attempt(
    notify_app_factory, auth, receiver
):
    client = notify_app_factory()
    [queued] = _outbox(client, receiver, 999001, next_attempt_at=now_utc() - timedelta(minutes=1))
    receiver.scripts["hooks/unit-999001"] = [Answer(hold_seconds=1.0)]

    async def stop_while_sending():
        async with _worker(client) as worker:
            running = asyncio.create_task(worker.run())
            await asyncio.to_thread(_until, lambda: receiver.calls, seconds=10)
            worker.stop()  # as SIGTERM does, while the receiver holds the request
            await running

    asyncio.run(stop_while_sending())
    assert run(_url(client), lambda db: notification(db, queued["id"]))["status"] == "delivered"
    assert [a["status_code"] for a in run(_url(client), lambda db: attempts_of(db, queued["id"]))] == [200]


def test_an_unknown_channel_or_status_filter_is_refused(notify_client, auth):
    assert_problem(notify_client.get("/v1/notifications", params={"channel": "fax"}, headers=auth("office")), 422)
    assert_problem(notify_client.get("/v1/notifications", params={"status": "lost"}, headers=auth("office")), 422)


@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", -1, 1e11, "-1", "tomorrow"])
def test_a_dispatch_far_from_the_plans_world_or_not_a_date_time_is_422_and_runs_nothing(notify_client, auth, as_of):
    response = notify_client.post("/v1/dispatches", json={"as_of": as_of}, headers=auth("office"))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["location"] == ["body", "as_of"]
    assert notify_client.get("/v1/notifications", headers=auth("office")).json()["data"] == []


def test_a_dispatch_may_look_ahead_one_day_but_not_more(notify_client, auth):
    with clock.frozen(datetime(2026, 3, 2, 1, 0, tzinfo=UTC)):
        ahead = notify_client.post(
            "/v1/dispatches", json={"as_of": "2026-03-03T09:01:00+08:00"}, headers=auth("office")
        )
        within = notify_client.post(
            "/v1/dispatches", json={"as_of": "2026-03-03T08:59:00+08:00"}, headers=auth("office")
        )
    assert ahead.status_code == 422 and "one day" in ahead.json()["detail"]
    assert within.status_code == 201, within.text
