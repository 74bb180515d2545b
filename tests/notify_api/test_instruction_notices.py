"""A leader instruction (领导批示) reaches the units it is for: the lead unit (instruction.issued) and each unit
mentioned (instruction.mentioned), on the unit's own contacts, once per event however often the relay sends it."""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting_api.db import outbox_events
from tests.notify_api.conftest import add_contact, outbox, run_planner
from tests.notify_api.test_events import queued
from tests.notify_api.test_planner import shanghai
from tests.tasks_api.test_outbox import events

TRANSPORT, FINANCE, CULTURE = "市交通运输局", "市财政局", "市文旅局"


@pytest.fixture
def relay(notify_client, reporting_peer_database, auth):
    """relay(instruction_id): the instruction's events in the peer reporting_api's outbox, each sent twice to
    notify_api (the relay may send an event twice)."""

    def send(instruction_id):
        for row in events(reporting_peer_database, outbox_events):
            if row["data"].get("instruction_id") != instruction_id:
                continue
            envelope = {
                "event_id": row["event_id"],
                "type": row["type"],
                "occurred_at": row["occurred_at"].isoformat(),
                "data": row["data"],
                "source": "reporting_api",
            }
            for _ in range(2):
                sent = notify_client.post("/v1/events", json=envelope, headers=auth("service"))
                assert sent.status_code in (200, 202), sent.text

    return send


@pytest.fixture
def relayed(reporting_http, relay, auth):
    """relayed(body) → the instruction issued on the peer reporting_api, its outbox relayed to notify_api."""

    def issue(body):
        made = reporting_http.post("/v1/instructions", json=body, headers=auth("office"))
        assert made.status_code == 201, made.text
        relay(made.json()["id"])
        return made.json()

    return issue


def test_the_lead_unit_and_a_mentioned_unit_get_the_instruction_on_their_contacts(
    notify_client, notify_database, relayed, quzhou, auth
):
    ids = {name: quzhou.unit_id(name) for name in (TRANSPORT, FINANCE, CULTURE)}
    contacts = {name: add_contact(notify_client, auth("office"), "unit", unit_id) for name, unit_id in ids.items()}
    made = relayed(
        {
            "item_id": quzhou.item("T9")["id"],
            "text": "请加快推进。",
            "author_name": "张三",
            "author_title": "市长",
            "answer_by": "2024-04-30",
            "mentions": [ids[FINANCE]],
        }
    )
    notices = [n for n in queued(notify_database) if n["recipient_kind"] == "unit"]
    assert sorted((n["step"], n["unit_id"], n["contact_id"]) for n in notices) == sorted(
        [
            ("instruction.issued", ids[TRANSPORT], contacts[TRANSPORT]["id"]),
            ("instruction.mentioned", ids[FINANCE], contacts[FINANCE]["id"]),
        ]
    )  # 市文旅局 co-operates on T9 but is neither the lead nor mentioned: nothing for it
    mention = next(n for n in notices if n["step"] == "instruction.mentioned")
    assert (mention["deadline_kind"], mention["deadline_id"], mention["purpose"]) == (
        "instruction",
        made["id"],
        "event",
    )
    assert "市长张三批示" in mention["payload"]["text"] and "2024-04-30" in mention["payload"]["text"]
    assert mention["payload"]["data"]["unit_id"] == ids[FINANCE]
    finance = auth("unit", unit_id=ids[FINANCE])
    listed = notify_client.get("/v1/notifications", headers=finance)
    assert listed.status_code == 200, listed.text
    assert [n["id"] for n in listed.json()["data"]] == [mention["id"]]


def test_a_unit_with_no_contact_gets_no_notice_and_the_event_still_counts(
    notify_client, notify_database, relayed, quzhou
):
    relayed({"item_id": quzhou.item("T9")["id"], "text": "请推进。", "author_name": "张三"})
    assert [n for n in queued(notify_database) if n["recipient_kind"] == "unit"] == []


def test_a_unit_mentioned_in_a_reply_gets_the_reply_on_its_contacts(
    notify_client, notify_database, reporting_http, relay, quzhou, auth
):
    finance = quzhou.unit_id(FINANCE)
    contact = add_contact(notify_client, auth("office"), "unit", finance)
    body = {"item_id": quzhou.item("T9")["id"], "text": "请推进。", "author_name": "张三"}
    made = reporting_http.post("/v1/instructions", json=body, headers=auth("office")).json()
    said = {"text": "请财政局协调资金。", "mentions": [finance]}
    replied = reporting_http.post(f"/v1/instructions/{made['id']}/replies", json=said, headers=auth("office"))
    assert replied.status_code == 201, replied.text
    relay(made["id"])
    [notice] = [n for n in queued(notify_database) if n["recipient_kind"] == "unit" and n["unit_id"] == finance]
    assert (notice["step"], notice["contact_id"], notice["deadline_id"]) == (
        "instruction.mentioned",
        contact["id"],
        made["id"],
    )
    assert notice["payload"]["text"].startswith("批示回复中提及贵单位：请财政局协调资金。")


# -- the duty: a reminder to the lead unit before and after the answer date, as for any deadline -------------


def test_the_lead_unit_is_reminded_of_an_open_instruction_before_its_answer_date(
    notify_client, reporting_http, quzhou, auth
):
    lead = quzhou.unit_id(TRANSPORT)
    hook = add_contact(notify_client, auth("office"), "unit", lead)
    body = {"item_id": quzhou.item("T9")["id"], "text": "请推进。", "author_name": "张三", "author_title": "市长"}
    made = reporting_http.post("/v1/instructions", json={**body, "answer_by": "2019-12-31"}, headers=auth("office"))
    assert made.status_code == 201, made.text
    assert run_planner(notify_client, shanghai("2019-12-28")) > 0
    [row] = outbox(notify_client, deadline_kind="instruction")
    assert (row["deadline_id"], row["step"], row["level"], row["recipient_id"]) == (
        made.json()["id"],
        "before-3",
        "blue",
        lead,
    )
    assert (row["contact_id"], row["due_on"]) == (hook["id"], date(2019, 12, 31))
    assert "市长张三批示的落实反馈" in row["payload"]["subject"]


def test_an_answered_instruction_reminds_nobody(notify_client, reporting_http, quzhou, auth):
    lead = quzhou.unit_id(TRANSPORT)
    add_contact(notify_client, auth("office"), "unit", lead)
    body = {"item_id": quzhou.item("T9")["id"], "text": "请推进。", "author_name": "张三", "answer_by": "2019-12-31"}
    made = reporting_http.post("/v1/instructions", json=body, headers=auth("office")).json()
    answered = reporting_http.post(
        f"/v1/instructions/{made['id']}/replies",
        json={"kind": "answer", "text": "已落实。"},
        headers=auth("unit", unit_id=lead),
    )
    assert answered.status_code == 201, answered.text
    run_planner(notify_client, shanghai("2019-12-28"))
    assert outbox(notify_client, deadline_kind="instruction") == []


def test_an_instruction_owed_in_the_obligations_too_is_reminded_once(notify_client, reporting_http, quzhou, auth):
    lead = quzhou.unit_id(TRANSPORT)
    add_contact(notify_client, auth("office"), "unit", lead)
    body = {"item_id": quzhou.item("T9")["id"], "text": "请推进。", "author_name": "张三", "answer_by": "2019-12-31"}
    made = reporting_http.post("/v1/instructions", json=body, headers=auth("office")).json()
    window = {"from": "2019-12-28", "to": "2019-12-31", "pending": "true"}
    owed = reporting_http.get(f"/v1/plans/{quzhou.plan_id}/obligations", params=window, headers=auth("service"))
    assert [d["instruction_id"] for d in owed.json()["instructions"]] == [made["id"]]
    run_planner(notify_client, shanghai("2019-12-28"))
    assert [row["deadline_id"] for row in outbox(notify_client, deadline_kind="instruction")] == [made["id"]]
