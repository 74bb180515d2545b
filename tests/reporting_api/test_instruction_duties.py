"""An instruction with an answer date is a duty (督办事项): overdue from 00:00 Beijing time the day after its answer
date, counted in working days like a report; it turns its item's light red (yellow while due soon) until the lead
unit answers it or the office settles it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.common import clock
from services.reporting_api.oversight.lights import LIGHT_RULE
from tests.reporting_api.test_instructions import issue, reply
from tests.reporting_api.test_rollups import rollups
from tests.reporting_api.test_traffic_lights import WELL_BEFORE, light_of_t9

LAST_MINUTE = datetime(2024, 2, 5, 15, 59, tzinfo=UTC)  # 23:59 Beijing on the answer date, Monday 2024-02-05
FIRST_MINUTE = datetime(2024, 2, 5, 16, 1, tzinfo=UTC)  # 00:01 Beijing on Tuesday (still the 5th in UTC)
ANSWER_BY = "2024-02-05"


@pytest.fixture
def t9(quzhou):
    return quzhou.item("T9")


@pytest.fixture
def lead(quzhou, auth):
    return auth("unit", unit_id=quzhou.unit_id("市交通运输局"))


def read_at(client, headers, instruction_id, instant):
    with clock.frozen(instant):
        response = client.get(f"/v1/instructions/{instruction_id}", headers=headers)
        listed = client.get("/v1/instructions", params={"overdue": "true"}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json(), [i["id"] for i in listed.json()["data"]]


def test_an_instruction_is_not_overdue_at_2359_beijing_on_its_answer_date(reporting_client, auth, t9):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    shown, overdue = read_at(reporting_client, auth("office"), made["id"], LAST_MINUTE)
    assert (shown["overdue"], shown["days_overdue"], overdue) == (False, 0, [])


def test_an_instruction_is_overdue_by_one_working_day_at_0001_beijing_the_next_day(reporting_client, auth, t9):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    shown, overdue = read_at(reporting_client, auth("office"), made["id"], FIRST_MINUTE)
    assert (shown["overdue"], shown["days_overdue"], overdue) == (True, 1, [made["id"]])


def test_an_answered_instruction_is_never_overdue(reporting_client, auth, t9, lead):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by=ANSWER_BY)
    assert reply(reporting_client, lead, made["id"], "answer", "已落实。").status_code == 201
    shown, overdue = read_at(reporting_client, auth("office"), made["id"], FIRST_MINUTE)
    assert (shown["status"], shown["overdue"], overdue) == ("answered", False, [])


def test_an_instruction_without_an_answer_date_is_no_duty(reporting_client, auth, t9):
    made = issue(reporting_client, auth("office"), item_id=t9["id"])
    shown, _ = read_at(reporting_client, auth("office"), made["id"], FIRST_MINUTE)
    assert (shown["answer_by"], shown["overdue"]) == (None, False)


def test_an_overdue_instruction_turns_its_items_light_red(reporting_client, auth, quzhou, t9):
    assert light_of_t9(reporting_client, auth, quzhou, as_of=WELL_BEFORE) == ("green", [])
    issue(reporting_client, auth("office"), item_id=t9["id"], answer_by="2024-01-31")
    assert light_of_t9(reporting_client, auth, quzhou, as_of=WELL_BEFORE) == ("red", ["instruction_overdue"])
    assert "instruction_overdue" in LIGHT_RULE


def test_an_instruction_due_soon_turns_its_items_light_yellow_until_answered(reporting_client, auth, quzhou, t9, lead):
    made = issue(reporting_client, auth("office"), item_id=t9["id"], answer_by="2024-02-03")
    assert light_of_t9(reporting_client, auth, quzhou, as_of=WELL_BEFORE) == ("yellow", ["instruction_due_soon"])
    assert reply(reporting_client, lead, made["id"], "answer", "已落实。").status_code == 201
    assert light_of_t9(reporting_client, auth, quzhou, as_of=WELL_BEFORE) == ("green", [])


def test_the_rollup_counts_an_overdue_instruction_as_a_red_light(reporting_client, auth, quzhou, t9):
    def reds():
        view = rollups(reporting_client, auth, quzhou.plan_id, "kind", as_of=WELL_BEFORE)
        return sum(row["lights"]["red"] for row in view["data"])

    before = reds()
    issue(reporting_client, auth("office"), item_id=t9["id"], answer_by="2024-01-31")
    assert reds() == before + 1
