"""Mentions (@) in an instruction's thread: a reply that mentions a unit notifies it (instruction.mentioned, with the
reply), as an instruction does at issue time, and the unit reads the thread from then on; each refusal."""

from __future__ import annotations

from services.common.events.catalogue import CATALOGUE
from tests.reporting_api import test_instructions as base
from tests.reporting_api.test_instructions import CULTURE, FINANCE, TRANSPORT, detail, issue, outbox

# T9 (led by 市交通运输局, 市文旅局 co-operating) and the units' ids and tokens, as the instructions' tests have them.
t9, units = base.t9, base.units


def mention(client, headers, instruction_id, mentions, kind="comment", text="请财政局协调资金。"):
    return client.post(
        f"/v1/instructions/{instruction_id}/replies",
        json={"kind": kind, "text": text, "mentions": mentions},
        headers=headers,
    )


def test_a_reply_that_mentions_a_unit_notifies_it_with_the_reply(reporting_client, reporting_database, auth, t9, units):
    made = issue(reporting_client, auth("office"), item_id=t9["id"])
    finance_id = units[FINANCE][0]
    response = mention(reporting_client, units[TRANSPORT][1], made["id"], [finance_id, finance_id])
    assert response.status_code == 201, response.text
    reply_id = response.json()["replies"][-1]["id"]
    [(kind, data)] = [e for e in outbox(reporting_database, made["id"]) if e[0] == "instruction.mentioned"]
    CATALOGUE[kind].data.model_validate(data)
    assert (data["unit_id"], data["unit_name"], data["reply_id"], data["reply"]) == (
        finance_id,
        FINANCE,
        reply_id,
        "请财政局协调资金。",
    )
    assert data["replied_by"] == f"test-unit-{units[TRANSPORT][0]}"


def test_a_unit_mentioned_in_a_reply_reads_the_thread_from_then_on(reporting_client, auth, t9, units):
    made = issue(reporting_client, auth("office"), item_id=t9["id"])
    finance_id, finance = units[FINANCE]
    assert reporting_client.get(f"/v1/instructions/{made['id']}", headers=finance).status_code == 404
    assert mention(reporting_client, auth("office"), made["id"], [finance_id]).status_code == 201
    assert {"unit_id": finance_id, "concern": "mentioned"} in detail(reporting_client, finance, made["id"])["units"]


def test_a_unit_already_concerned_is_notified_and_keeps_its_concern(
    reporting_client, reporting_database, auth, t9, units
):
    made = issue(reporting_client, auth("office"), item_id=t9["id"])
    culture_id = units[CULTURE][0]
    assert mention(reporting_client, auth("office"), made["id"], [culture_id]).status_code == 201
    assert [d["unit_id"] for k, d in outbox(reporting_database, made["id"]) if k == "instruction.mentioned"] == [
        culture_id
    ]
    assert {"unit_id": culture_id, "concern": "co"} in detail(reporting_client, auth("office"), made["id"])["units"]


def test_the_answer_may_mention_a_unit_too(reporting_client, reporting_database, auth, t9, units):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by="2024-04-30")
    answered = mention(reporting_client, units[TRANSPORT][1], made["id"], [units[FINANCE][0]], "answer", "已落实。")
    assert answered.status_code == 201, answered.text
    kinds = [k for k, _ in outbox(reporting_database, made["id"])]
    assert kinds == ["instruction.issued", "instruction.mentioned", "instruction.answered"]


def test_the_history_of_a_reply_names_the_units_it_mentions(reporting_client, auth, t9, units):
    made = issue(reporting_client, auth("office"), item_id=t9["id"])
    assert mention(reporting_client, auth("office"), made["id"], [units[FINANCE][0]]).status_code == 201
    history = reporting_client.get(f"/v1/history/instruction/{made['id']}", headers=auth("office")).json()["data"]
    [appended] = [h for h in history if h["action"] == "append"]
    assert appended["changes"]["mentions"] == [None, [units[FINANCE][0]]]


def test_a_mention_of_a_unit_that_does_not_exist_in_a_reply_is_refused_and_writes_nothing(
    reporting_client, reporting_database, auth, t9
):
    made = issue(reporting_client, auth("office"), item_id=t9["id"])
    assert mention(reporting_client, auth("office"), made["id"], [999_999]).status_code == 422
    assert detail(reporting_client, auth("office"), made["id"])["replies"] == []


def test_a_unit_not_concerned_may_not_mention_in_a_thread_it_cannot_see(reporting_client, auth, t9, units):
    made = issue(reporting_client, auth("office"), item_id=t9["id"])
    assert mention(reporting_client, units[FINANCE][1], made["id"], [units[CULTURE][0]]).status_code == 404


def test_a_viewer_may_not_mention(reporting_client, auth, t9, units):
    made = issue(reporting_client, auth("office"), item_id=t9["id"])
    assert mention(reporting_client, auth("viewer"), made["id"], [units[FINANCE][0]]).status_code == 403


def test_a_reply_mentions_at_most_twenty_units(reporting_client, auth, t9):
    made = issue(reporting_client, auth("office"), item_id=t9["id"])
    assert mention(reporting_client, auth("office"), made["id"], list(range(1, 22))).status_code == 422
