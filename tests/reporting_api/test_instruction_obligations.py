"""What a unit owes on leader instructions (领导批示): an open instruction with an answer date is owed by its lead
unit in the office's compliance (红黄榜) and in a window's obligations, on time, overdue and late by the same
Beijing business-day and working-day rules as reports; an answered or settled one owes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.common import clock
from tests.reporting_api.test_compliance import compliance
from tests.reporting_api.test_instructions import issue, reply

TRANSPORT, CULTURE = "市交通运输局", "市文旅局"  # T9's lead and co-operator
ANSWER_BY = "2024-02-05"  # a Monday in 2024-Q1


@pytest.fixture
def t9(quzhou):
    return quzhou.item("T9")


@pytest.fixture
def lead(quzhou, auth):
    return auth("unit", unit_id=quzhou.unit_id(TRANSPORT))


def duties(view, instruction_id):
    return [d for d in view["instructions"] if d["instruction_id"] == instruction_id]


def obligations(client, headers, plan_id, start="2024-02-01", end="2024-02-29", **params):
    response = client.get(
        f"/v1/plans/{plan_id}/obligations", params={"from": start, "to": end, "limit": 500, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_compliance_lists_an_open_instruction_as_owed_by_its_lead_unit_and_not_overdue_on_its_date(
    reporting_client, auth, quzhou, t9
):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    view = compliance(reporting_client, auth("office"), quzhou.plan_id, as_of=ANSWER_BY)
    [duty] = duties(view, made["id"])
    assert (duty["unit_id"], duty["unit_name"], duty["state"]) == (quzhou.unit_id(TRANSPORT), TRANSPORT, "open")
    assert (duty["overdue"], duty["late"], duty["days_late"]) == (False, False, 0)
    assert view["instruction_summary"]["owed"] >= 1


def test_compliance_counts_an_open_instruction_overdue_by_one_working_day_the_day_after(
    reporting_client, auth, quzhou, t9
):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    view = compliance(reporting_client, auth("office"), quzhou.plan_id, as_of="2024-02-06")
    [duty] = duties(view, made["id"])
    assert (duty["overdue"], duty["late"], duty["days_late"]) == (True, True, 1)
    assert view["instruction_summary"]["overdue"] == 1


def test_every_page_of_compliance_carries_the_same_instructions_and_summaries_only_the_rows_move_on(
    reporting_client, auth, quzhou, t9
):
    issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    first = compliance(reporting_client, auth("office"), quzhou.plan_id, as_of="2024-02-06", limit=2)
    then = compliance(
        reporting_client, auth("office"), quzhou.plan_id, as_of="2024-02-06", limit=2, cursor=first["next_cursor"]
    )
    whole = ("plan_id", "period", "summary", "instructions", "instruction_summary")
    assert [then[k] for k in whole] == [first[k] for k in whole]
    assert first["instructions"] and then["data"] != first["data"]


def test_an_instruction_due_on_a_friday_is_one_working_day_late_on_the_weekend(reporting_client, auth, quzhou, t9):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by="2024-03-01")
    [duty] = duties(compliance(reporting_client, auth("office"), quzhou.plan_id, as_of="2024-03-03"), made["id"])
    assert (duty["overdue"], duty["days_late"]) == (True, 1)


def test_an_answered_instruction_owes_nothing(reporting_client, auth, quzhou, t9, lead):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    assert reply(reporting_client, lead, made["id"], "answer", "已落实。").status_code == 201
    view = compliance(reporting_client, auth("office"), quzhou.plan_id, as_of="2024-02-06")
    [duty] = duties(view, made["id"])
    assert (duty["state"], duty["overdue"]) == ("answered", False)
    assert (view["instruction_summary"]["owed"], view["instruction_summary"]["answered"]) == (0, 1)


def test_an_instruction_answered_after_its_date_stays_late_by_the_working_days_to_the_answer(
    reporting_client, auth, quzhou, t9, lead
):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    with clock.frozen(datetime(2024, 2, 7, 2, 0, tzinfo=UTC)):  # Wednesday 10:00 Beijing: two working days late
        assert reply(reporting_client, lead, made["id"], "answer", "已落实。").status_code == 201
    [duty] = duties(compliance(reporting_client, auth("office"), quzhou.plan_id, as_of="2024-03-01"), made["id"])
    assert (duty["state"], duty["closed_on"], duty["overdue"], duty["late"], duty["days_late"]) == (
        "answered",
        "2024-02-07",
        False,
        True,
        2,
    )


def test_a_settled_instruction_owes_nothing(reporting_client, auth, quzhou, t9):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    assert reply(reporting_client, auth("office"), made["id"], "settle", "已办结。").status_code == 201
    view = compliance(reporting_client, auth("office"), quzhou.plan_id, as_of="2024-02-06")
    assert [(d["state"], d["overdue"]) for d in duties(view, made["id"])] == [("settled", False)]
    assert view["instruction_summary"]["settled"] == 1


def test_an_instruction_still_open_from_an_earlier_period_is_owed_in_the_next(reporting_client, auth, quzhou, t9):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    view = compliance(reporting_client, auth("office"), quzhou.plan_id, period="2024-Q2", as_of="2024-05-06")
    [duty] = duties(view, made["id"])
    assert (duty["state"], duty["overdue"]) == ("open", True)


def test_an_answered_instruction_of_an_earlier_period_is_not_listed_in_the_next(
    reporting_client, auth, quzhou, t9, lead
):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    assert reply(reporting_client, lead, made["id"], "answer", "已落实。").status_code == 201
    view = compliance(reporting_client, auth("office"), quzhou.plan_id, period="2024-Q2", as_of="2024-05-06")
    assert duties(view, made["id"]) == []


def test_an_instruction_without_an_answer_date_is_owed_nowhere(reporting_client, auth, quzhou, t9):
    made = issue(reporting_client, auth("office"), item_id=t9["id"])
    assert duties(compliance(reporting_client, auth("office"), quzhou.plan_id, as_of="2024-02-06"), made["id"]) == []


def test_a_unit_sees_in_compliance_only_the_instructions_it_must_answer(reporting_client, auth, quzhou, t9, lead):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    co = auth("unit", unit_id=quzhou.unit_id(CULTURE))
    assert [d["instruction_id"] for d in compliance(reporting_client, lead, quzhou.plan_id)["instructions"]] == [
        made["id"]
    ]
    assert compliance(reporting_client, co, quzhou.plan_id)["instructions"] == []


def test_a_unit_may_not_read_another_units_compliance(reporting_client, auth, quzhou, lead):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/compliance",
        params={"period": "2024-Q1", "unit_id": quzhou.unit_id(CULTURE)},
        headers=lead,
    )
    assert response.status_code == 403, response.text


def test_obligations_list_the_instructions_to_answer_in_the_window(reporting_client, auth, quzhou, t9):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    outside = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by="2024-03-05")
    view = obligations(reporting_client, auth("office"), quzhou.plan_id, as_of="2024-02-06")
    listed = [d["instruction_id"] for d in view["instructions"]]
    assert made["id"] in listed and outside["id"] not in listed
    assert duties(view, made["id"])[0]["days_late"] == 1


def test_pending_obligations_leave_out_an_answered_instruction(reporting_client, auth, quzhou, t9, lead):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    assert reply(reporting_client, lead, made["id"], "answer", "已落实。").status_code == 201
    assert duties(obligations(reporting_client, auth("office"), quzhou.plan_id, pending="true"), made["id"]) == []
    assert len(duties(obligations(reporting_client, auth("office"), quzhou.plan_id), made["id"])) == 1


def test_a_unit_sees_in_its_obligations_only_the_instructions_it_must_answer(reporting_client, auth, quzhou, t9, lead):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    co = auth("unit", unit_id=quzhou.unit_id(CULTURE))
    assert len(duties(obligations(reporting_client, lead, quzhou.plan_id), made["id"])) == 1
    assert obligations(reporting_client, co, quzhou.plan_id)["instructions"] == []
