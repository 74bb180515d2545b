"""Evidence (佐证材料) on leader instructions and on the replies in their thread: only the author attaches and
deletes; whoever reads the instruction reads the files; an instruction's files are on record once it is answered or
settled, a reply's once a later reply is written; each refusal, and the history."""

from __future__ import annotations

from tests import evidence_files as files
from tests.reporting_api import test_evidence as base
from tests.reporting_api.test_evidence import CO, LEAD, OTHER
from tests.reporting_api.test_instructions import issue, reply

# An app with its own evidence directory, and the tokens of T9's lead, its co-operator and an unconcerned unit.
client, units = base.client, base.units


def attach(client, path, headers, data=files.PDF, filename="批示件.pdf"):
    return client.post(f"/v1/{path}/evidence", params={"filename": filename}, content=data, headers=headers)


def instruction_of(client, auth, quzhou):
    return issue(client, auth("office"), item_id=quzhou.item("T9")["id"], answer_by="2024-04-30")


def answer(client, headers, instruction_id):
    response = reply(client, headers, instruction_id, "answer", "已落实，见附件。")
    assert response.status_code == 201, response.text
    return response.json()["replies"][-1]


def test_the_office_attaches_the_signed_instruction_and_its_units_read_it(client, auth, quzhou, units):
    made = instruction_of(client, auth, quzhou)
    response = attach(client, f"instructions/{made['id']}", auth("office"))
    assert response.status_code == 201, response.text
    record = response.json()
    assert (record["owner_kind"], record["owner_id"], record["frozen"]) == ("instruction", made["id"], False)
    listed = client.get(f"/v1/instructions/{made['id']}/evidence", headers=units[CO])
    assert [e["id"] for e in listed.json()["data"]] == [record["id"]]
    assert client.get(f"/v1/evidence/{record['id']}/content", headers=units[LEAD]).content == files.PDF


def test_the_lead_unit_attaches_proof_to_its_answer(client, auth, quzhou, units):
    made = instruction_of(client, auth, quzhou)
    answered = answer(client, units[LEAD], made["id"])
    response = attach(client, f"instruction-replies/{answered['id']}", units[LEAD], filename="落实情况.pdf")
    assert response.status_code == 201, response.text
    assert (response.json()["owner_kind"], response.json()["frozen"]) == ("instruction_reply", False)
    listed = client.get(f"/v1/instruction-replies/{answered['id']}/evidence", headers=auth("office"))
    assert [e["filename"] for e in listed.json()["data"]] == ["落实情况.pdf"]


def test_a_unit_the_instruction_does_not_concern_sees_no_file_of_it(client, auth, quzhou, units):
    made = instruction_of(client, auth, quzhou)
    record = attach(client, f"instructions/{made['id']}", auth("office")).json()
    answered = answer(client, units[LEAD], made["id"])
    assert client.get(f"/v1/instructions/{made['id']}/evidence", headers=units[OTHER]).status_code == 404
    assert client.get(f"/v1/instruction-replies/{answered['id']}/evidence", headers=units[OTHER]).status_code == 404
    assert client.get(f"/v1/evidence/{record['id']}", headers=units[OTHER]).status_code == 404
    assert attach(client, f"instruction-replies/{answered['id']}", units[OTHER]).status_code == 404


def test_only_the_author_attaches_to_an_instruction(client, auth, quzhou, units):
    made = instruction_of(client, auth, quzhou)
    for headers in (units[LEAD], auth("viewer"), auth("admin")):
        assert attach(client, f"instructions/{made['id']}", headers).status_code == 403


def test_only_the_author_attaches_to_a_reply(client, auth, quzhou, units):
    made = instruction_of(client, auth, quzhou)
    answered = answer(client, units[LEAD], made["id"])
    for headers in (units[CO], auth("office"), auth("viewer")):
        assert attach(client, f"instruction-replies/{answered['id']}", headers).status_code == 403


def test_only_the_author_deletes_a_file(client, auth, quzhou, units):
    made = instruction_of(client, auth, quzhou)
    answered = answer(client, units[LEAD], made["id"])
    record = attach(client, f"instruction-replies/{answered['id']}", units[LEAD]).json()
    guard = {"If-Match": '"1"'}
    assert client.delete(f"/v1/evidence/{record['id']}", headers={**auth("office"), **guard}).status_code == 403
    assert client.delete(f"/v1/evidence/{record['id']}", headers={**units[LEAD], **guard}).status_code == 204


def test_an_answered_instruction_takes_no_new_file_and_its_files_stay_on_record(client, auth, quzhou, units):
    made = instruction_of(client, auth, quzhou)
    record = attach(client, f"instructions/{made['id']}", auth("office")).json()
    answer(client, units[LEAD], made["id"])
    assert attach(client, f"instructions/{made['id']}", auth("office")).status_code == 409
    assert client.get(f"/v1/evidence/{record['id']}", headers=auth("office")).json()["frozen"] is True
    deleted = client.delete(f"/v1/evidence/{record['id']}", headers={**auth("office"), "If-Match": '"1"'})
    assert deleted.status_code == 409, deleted.text


def test_a_settled_instruction_takes_no_new_file(client, auth, quzhou):
    made = instruction_of(client, auth, quzhou)
    assert reply(client, auth("office"), made["id"], "settle", "已办结。").status_code == 201
    assert attach(client, f"instructions/{made['id']}", auth("office")).status_code == 409


def test_a_replys_files_are_on_record_once_a_later_reply_is_written(client, auth, quzhou, units):
    made = instruction_of(client, auth, quzhou)
    answered = answer(client, units[LEAD], made["id"])
    record = attach(client, f"instruction-replies/{answered['id']}", units[LEAD]).json()
    assert reply(client, auth("office"), made["id"], "comment", "已阅。").status_code == 201
    assert attach(client, f"instruction-replies/{answered['id']}", units[LEAD]).status_code == 409
    assert client.get(f"/v1/evidence/{record['id']}", headers=units[LEAD]).json()["frozen"] is True
    deleted = client.delete(f"/v1/evidence/{record['id']}", headers={**units[LEAD], "If-Match": '"1"'})
    assert deleted.status_code == 409, deleted.text


def test_a_reply_that_does_not_exist_is_404(client, auth):
    assert attach(client, "instruction-replies/999999", auth("office")).status_code == 404


def test_each_file_on_an_instruction_is_in_the_history(client, auth, quzhou):
    made = instruction_of(client, auth, quzhou)
    record = attach(client, f"instructions/{made['id']}", auth("office")).json()
    history = client.get(f"/v1/history/evidence/{record['id']}", headers=auth("office"))
    assert [h["action"] for h in history.json()["data"]] == ["create"]
