"""Leader instructions (领导批示): issued by the office on an item or a report, answered by the item's lead unit
(落实反馈) or settled by the office, a thread with read receipts (已阅), and each refusal."""

from __future__ import annotations

import pytest

from services.common.events.catalogue import CATALOGUE
from services.reporting_api.db import outbox_events
from tests.reporting_api.test_reports import file_report
from tests.tasks_api.test_outbox import events

TRANSPORT, CULTURE, FINANCE = "市交通运输局", "市文旅局", "市财政局"  # T9's lead, T9's co-operator, neither


@pytest.fixture
def t9(quzhou):
    """Task 9 (roads), led by 市交通运输局 with 市文旅局 co-operating."""
    return quzhou.item("T9")


@pytest.fixture
def units(quzhou, auth):
    """The unit ids and tokens of T9's lead, its co-operator and a unit with nothing to do with it."""
    ids = {name: quzhou.unit_id(name) for name in (TRANSPORT, CULTURE, FINANCE)}
    return {name: (unit_id, auth("unit", unit_id=unit_id)) for name, unit_id in ids.items()}


def issue(client, headers, **body):
    response = client.post(
        "/v1/instructions", json={"text": "请抓紧推进。", "author_name": "张三", **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def reply(client, headers, instruction_id, kind="comment", text="收到。", **extra):
    return client.post(
        f"/v1/instructions/{instruction_id}/replies", json={"kind": kind, "text": text}, headers={**headers, **extra}
    )


def detail(client, headers, instruction_id):
    response = client.get(f"/v1/instructions/{instruction_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def outbox(reporting_database, instruction_id):
    rows = events(reporting_database, outbox_events)
    return [(e["type"], e["data"]) for e in rows if e["data"].get("instruction_id") == instruction_id]


def test_the_office_issues_an_instruction_that_the_items_lead_unit_must_answer(
    reporting_client, reporting_database, auth, t9, units
):
    response = reporting_client.post(
        "/v1/instructions",
        json={
            "item_id": t9["id"],
            "text": "请加快杭衢高铁建设。",
            "author_name": "张三",
            "author_title": "市长",
            "answer_by": "2024-04-30",
        },
        headers=auth("office"),
    )
    assert response.status_code == 201, response.text
    made = response.json()
    assert response.headers["location"] == f"/v1/instructions/{made['id']}"
    assert response.headers["etag"] == '"1"'
    assert (made["status"], made["lead_unit_id"], made["lead_unit_name"]) == ("open", units[TRANSPORT][0], TRANSPORT)
    assert (made["item_number"], made["author_title"], made["answer_by"]) == (t9["number"], "市长", "2024-04-30")
    [(kind, data)] = outbox(reporting_database, made["id"])
    assert kind == "instruction.issued"
    CATALOGUE[kind].data.model_validate(data)
    assert (data["unit_id"], data["mentioned_unit_ids"]) == (units[TRANSPORT][0], [])


def test_an_instruction_on_a_report_is_on_the_reports_item(reporting_client, auth, t9, units):
    report = file_report(reporting_client, units[TRANSPORT][1], t9["id"])
    made = issue(reporting_client, auth("office"), report_id=report["id"])
    assert (made["report_id"], made["item_id"], made["lead_unit_id"]) == (report["id"], t9["id"], units[TRANSPORT][0])
    listed = reporting_client.get("/v1/instructions", params={"report_id": report["id"]}, headers=auth("office"))
    assert [i["id"] for i in listed.json()["data"]] == [made["id"]]


@pytest.mark.parametrize(
    "body",
    [{}, {"item_id": 1, "report_id": 1}, {"item_id": 999_999}, {"report_id": 999_999}],
    ids=["neither", "both", "unknown-item", "unknown-report"],
)
def test_an_instruction_names_exactly_one_existing_item_or_report(reporting_client, auth, body):
    response = reporting_client.post(
        "/v1/instructions", json={"text": "请推进。", "author_name": "张三", **body}, headers=auth("office")
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_mention_of_a_unit_that_does_not_exist_is_refused(reporting_client, auth, t9):
    response = reporting_client.post(
        "/v1/instructions",
        json={"item_id": t9["id"], "text": "请推进。", "author_name": "张三", "mentions": [999_999]},
        headers=auth("office"),
    )
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("role", ["unit", "viewer"])
def test_only_the_office_issues_instructions(reporting_client, auth, t9, units, role):
    headers = units[TRANSPORT][1] if role == "unit" else auth("viewer")
    response = reporting_client.post(
        "/v1/instructions", json={"item_id": t9["id"], "text": "请推进。", "author_name": "张三"}, headers=headers
    )
    assert response.status_code == 403, response.text


def test_issuing_needs_a_token(reporting_client, t9):
    response = reporting_client.post("/v1/instructions", json={"item_id": t9["id"], "text": "x", "author_name": "x"})
    assert response.status_code == 401


def test_a_mentioned_unit_is_notified_and_sees_the_instruction(reporting_client, reporting_database, auth, t9, units):
    finance_id, finance = units[FINANCE]
    made = issue(reporting_client, auth("office"), item_id=t9["id"], mentions=[finance_id, finance_id])
    kinds = outbox(reporting_database, made["id"])
    assert [k for k, _ in kinds] == ["instruction.issued", "instruction.mentioned"]
    mention = kinds[1][1]
    CATALOGUE["instruction.mentioned"].data.model_validate(mention)
    assert (mention["unit_id"], mention["unit_name"], mention["lead_unit_id"]) == (
        finance_id,
        FINANCE,
        units[TRANSPORT][0],
    )
    assert {"unit_id": finance_id, "concern": "mentioned"} in detail(reporting_client, finance, made["id"])["units"]
    listed = reporting_client.get("/v1/instructions", headers=finance).json()["data"]
    assert [i["id"] for i in listed] == [made["id"]]


def test_a_unit_sees_only_the_instructions_that_concern_it(reporting_client, auth, t9, units):
    made = issue(reporting_client, auth("office"), item_id=t9["id"])
    _, finance = units[FINANCE]
    assert reporting_client.get(f"/v1/instructions/{made['id']}", headers=finance).status_code == 404
    assert reporting_client.get("/v1/instructions", headers=finance).json()["data"] == []
    assert reply(reporting_client, finance, made["id"]).status_code == 404
    assert reporting_client.post(f"/v1/instructions/{made['id']}/read", headers=finance).status_code == 404
    other = reporting_client.get("/v1/instructions", params={"unit_id": units[TRANSPORT][0]}, headers=finance)
    assert other.status_code == 403
    for name in (TRANSPORT, CULTURE):  # the lead unit and the co-operating unit of the item
        assert [i["id"] for i in reporting_client.get("/v1/instructions", headers=units[name][1]).json()["data"]] == [
            made["id"]
        ]


def test_the_thread_holds_comments_and_the_lead_units_answer_closes_the_duty(
    reporting_client, reporting_database, auth, t9, units
):
    office = auth("office")
    made = issue(reporting_client, office, item_id=t9["id"], answer_by="2024-04-30")
    assert reply(reporting_client, units[CULTURE][1], made["id"], text="配合推进。").status_code == 201
    assert reply(reporting_client, office, made["id"], text="请牵头单位汇总。").status_code == 201
    answered = reply(reporting_client, units[TRANSPORT][1], made["id"], "answer", "已完成征地。", **{"If-Match": '"1"'})
    assert answered.status_code == 201, answered.text
    body = answered.json()
    assert (body["status"], body["version"], answered.headers["etag"]) == ("answered", 2, '"2"')
    assert [(r["kind"], r["unit_id"]) for r in body["replies"]] == [
        ("comment", units[CULTURE][0]),
        ("comment", None),
        ("answer", units[TRANSPORT][0]),
    ]
    assert body["closed_by"] == f"test-unit-{units[TRANSPORT][0]}"
    again = reply(reporting_client, units[TRANSPORT][1], made["id"], "answer", "补充。")
    assert again.status_code == 409, again.text
    assert reply(reporting_client, units[CULTURE][1], made["id"], text="已阅。").status_code == 201  # still a thread
    kinds = [k for k, _ in outbox(reporting_database, made["id"])]
    assert kinds == ["instruction.issued", "instruction.answered"]
    history = reporting_client.get(f"/v1/history/instruction/{made['id']}", headers=office)
    assert history.status_code == 200, history.text
    assert [h["action"] for h in history.json()["data"]][:2] == ["create", "append"]
    assert "update" in [h["action"] for h in history.json()["data"]]


def test_who_may_answer_and_settle(reporting_client, auth, t9, units):
    office = auth("office")
    made = issue(reporting_client, office, item_id=t9["id"])
    assert reply(reporting_client, units[CULTURE][1], made["id"], "answer").status_code == 403  # co, not lead
    assert reply(reporting_client, office, made["id"], "answer").status_code == 403  # the office settles
    assert reply(reporting_client, units[TRANSPORT][1], made["id"], "settle").status_code == 403
    assert reply(reporting_client, auth("viewer"), made["id"]).status_code == 403
    settled = reply(reporting_client, office, made["id"], "settle", "已办结。")
    assert (settled.status_code, settled.json()["status"]) == (201, "settled")


def test_a_stale_if_match_on_an_answer_is_412_and_writes_nothing(reporting_client, auth, t9, units):
    made = issue(reporting_client, auth("office"), item_id=t9["id"])
    stale = reply(reporting_client, units[TRANSPORT][1], made["id"], "answer", **{"If-Match": '"7"'})
    assert stale.status_code == 412, stale.text
    after = detail(reporting_client, auth("office"), made["id"])
    assert (after["status"], after["replies"]) == ("open", [])


def test_a_read_receipt_is_kept_once_per_reader(reporting_client, auth, t9, units):
    made = issue(reporting_client, auth("office"), item_id=t9["id"])
    lead_id, lead = units[TRANSPORT]
    first = reporting_client.post(f"/v1/instructions/{made['id']}/read", headers=lead)
    second = reporting_client.post(f"/v1/instructions/{made['id']}/read", headers=lead)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == second.json()
    assert first.json()["unit_id"] == lead_id
    office = reporting_client.post(f"/v1/instructions/{made['id']}/read", headers=auth("office"))
    assert office.status_code == 200
    assert reporting_client.post(f"/v1/instructions/{made['id']}/read", headers=auth("viewer")).status_code == 403
    reads = detail(reporting_client, auth("office"), made["id"])["reads"]
    assert [r["unit_id"] for r in reads] == [lead_id, None]


def test_an_idempotency_key_issues_one_instruction(reporting_client, auth, t9):
    headers = {**auth("office"), "Idempotency-Key": "instruction-once"}
    body = {"item_id": t9["id"], "text": "请推进。", "author_name": "张三"}
    first = reporting_client.post("/v1/instructions", json=body, headers=headers)
    second = reporting_client.post("/v1/instructions", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert len(reporting_client.get("/v1/instructions", headers=auth("office")).json()["data"]) == 1


def test_the_list_filters_open_and_closed(reporting_client, auth, t9, units):
    office = auth("office")
    kept = issue(reporting_client, office, item_id=t9["id"])
    closed = issue(reporting_client, office, item_id=t9["id"])
    assert reply(reporting_client, office, closed["id"], "settle").status_code == 201
    for value, expected in (("true", [kept["id"]]), ("false", [closed["id"]])):
        page = reporting_client.get("/v1/instructions", params={"open": value, "item_id": t9["id"]}, headers=office)
        assert [i["id"] for i in page.json()["data"]] == expected
