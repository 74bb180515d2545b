"""The reporting rhythm (一季一梳理、半年一小结、一年一汇总): one report per item per due date, its type set by the
largest period ending that day, the summary answering for the quarter it closes; cadences per plan, kind and item."""

from datetime import date

import pytest

from services.common.contracts.plan_rows import PlanAssignment
from services.common.contracts.tasks import Item
from services.reporting_api.periods.calendar import schedule
from services.reporting_api.periods.obligations import CadenceBook, Rhythm, obligations_of
from tests.reporting_api.test_reports import FULL_CONTENT, file_report, indicator_ids, submit

TRANSPORT, CULTURE = "市交通运输局", "市文旅局"  # T9 (roads): the lead unit and a co-operating unit
PROBLEM = "application/problem+json"
QUARTERLY_YEAR = [("2024-Q1", "quarterly"), ("2024-H1", "half_year"), ("2024-Q3", "quarterly"), ("2024", "annual")]


@pytest.fixture
def t9(quzhou):
    return quzhou.item("T9")


@pytest.fixture
def lead(quzhou, auth):
    unit_id = quzhou.unit_id(TRANSPORT)
    return {"unit_id": unit_id, "headers": auth("unit", unit_id=unit_id)}


@pytest.fixture
def co(quzhou, auth):
    unit_id = quzhou.unit_id(CULTURE)
    return {"unit_id": unit_id, "headers": auth("unit", unit_id=unit_id)}


def obligations(client, auth, plan_id, start="2024-01-11", end="2025-01-31", **params):
    """The reports owed with a due date in [start, end]: by default those of 2024 (2023's annual is due 01-10)."""
    response = client.get(
        f"/v1/plans/{plan_id}/obligations",
        params={"from": start, "to": end, "limit": 500, **params},
        headers=auth("office"),
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def owed_by(rows, item_id, unit_id):
    return [(r["period"], r["report_type"]) for r in rows if (r["item_id"], r["unit_id"]) == (item_id, unit_id)]


def compliance_row(client, auth, plan_id, period, item_id, unit_id):
    response = client.get(
        f"/v1/plans/{plan_id}/compliance", params={"period": period, "limit": 500}, headers=auth("office")
    )
    assert response.status_code == 200, response.text
    view = response.json()
    return view, next((r for r in view["data"] if (r["item_id"], r["unit_id"]) == (item_id, unit_id)), None)


def values_for(client, item, as_of):
    return [{"indicator_id": i, "value": 1, "as_of": as_of} for i in indicator_ids(client, item)]


def file_summary(client, item, unit, period, as_of):
    report = file_report(
        client, unit["headers"], item["id"], period=period, measurements=values_for(client, item, as_of)
    )
    return submit(client, unit["headers"], report["id"])


def set_cadence(client, auth, item_id, cadence, etag='"0"'):
    response = client.put(
        f"/v1/items/{item_id}/cadence", json={"cadence": cadence}, headers=auth("office", **{"If-Match": etag})
    )
    assert response.status_code == 200, response.text
    return response


# -- what a unit owes, and when ------------------------------------------------------------------------------


def test_a_quarterly_year_owes_four_reports_per_item_each_of_its_type(reporting_client, auth, quzhou, t9, lead):
    rows = obligations(reporting_client, auth, quzhou.plan_id)
    assert owed_by(rows, t9["id"], lead["unit_id"]) == QUARTERLY_YEAR
    mine = [r for r in rows if (r["item_id"], r["unit_id"]) == (t9["id"], lead["unit_id"])]
    assert [r["due_on"] for r in mine] == ["2024-04-10", "2024-07-10", "2024-10-10", "2025-01-10"]


def test_one_due_date_never_owes_two_reports_of_one_pair(reporting_client, auth, quzhou):
    rows = obligations(reporting_client, auth, quzhou.plan_id)
    keys = [(r["due_on"], r["item_id"], r["unit_id"]) for r in rows]
    assert len(keys) == len(set(keys))


def test_the_periods_list_says_which_report_each_period_asks_for_and_which_answers_it(reporting_client, auth, quzhou):
    response = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/periods", headers=auth("viewer"))
    found = {p["id"]: p for p in response.json()["data"]}
    assert [(p, found[p]["report_type"]) for p, _ in QUARTERLY_YEAR] == QUARTERLY_YEAR
    assert [p for p in found if p.startswith("2024") and found[p]["owed"]] == [p for p, _ in QUARTERLY_YEAR]
    assert (found["2024-Q2"]["answered_by"], found["2024-Q4"]["answered_by"], found["2024-H2"]["answered_by"]) == (
        "2024-H1",
        "2024",
        "2024",
    )
    assert not any(p.startswith("2024-M") for p in found)  # no monthly cadence in the plan: no months


def test_a_report_for_a_quarter_a_summary_closes_is_refused(reporting_client, t9, lead):
    response = reporting_client.post(
        "/v1/reports", json={"item_id": t9["id"], "period": "2024-Q2", **FULL_CONTENT}, headers=lead["headers"]
    )
    assert response.status_code == 422
    assert "2024-H1" in response.json()["detail"]


def test_the_second_quarter_is_answered_by_the_half_year_summary(reporting_client, auth, quzhou, t9, lead):
    summary = file_summary(reporting_client, t9, lead, "2024-H1", "2024-06-30")
    assert summary["report_type"] == "half_year"
    view, row = compliance_row(reporting_client, auth, quzhou.plan_id, "2024-Q2", t9["id"], lead["unit_id"])
    assert (view["owed_period"], view["report_type"], view["due_on"]) == ("2024-H1", "half_year", "2024-07-10")
    assert (row["state"], row["report_id"], row["period"], row["owed"]) == ("submitted", summary["id"], "2024-H1", True)


def test_the_second_half_is_not_missing_once_the_annual_summary_is_filed(reporting_client, auth, quzhou, t9, lead):
    annual = file_summary(reporting_client, t9, lead, "2024", "2024-12-31")
    for period in ("2024-H2", "2024-Q4", "2024"):
        _, row = compliance_row(reporting_client, auth, quzhou.plan_id, period, t9["id"], lead["unit_id"])
        assert (row["state"], row["report_id"], row["report_type"]) == ("submitted", annual["id"], "annual")


def test_the_lights_of_the_second_quarter_read_the_half_year_summary(reporting_client, auth, quzhou, t9, lead):
    file_summary(reporting_client, t9, lead, "2024-H1", "2024-06-30")
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/traffic-lights",
        params={"period": "2024-Q2", "limit": 500, "as_of": "2024-08-01"},
        headers=auth("office"),
    )
    rows = {r["item_key"]: r for r in response.json()["data"]}
    assert rows["T9"]["report_status"] == "submitted"
    assert "overdue_without_report" not in rows["T9"]["reasons"]


def test_an_item_past_its_end_date_owes_nothing_further(reporting_client, auth, quzhou, lead):
    kw7 = quzhou.item("KW7")  # a 2019–2020 key work, due 2019-12-31
    assert owed_by(obligations(reporting_client, auth, quzhou.plan_id), kw7["id"], lead["unit_id"]) == []
    owed_2019 = obligations(reporting_client, auth, quzhou.plan_id, "2019-01-01", "2020-12-31")
    assert owed_by(owed_2019, kw7["id"], lead["unit_id"]) == [("2019", "annual")]
    refused = reporting_client.post(
        "/v1/reports", json={"item_id": kw7["id"], "period": "2020-Q1"}, headers=lead["headers"]
    )
    assert refused.status_code == 422


def test_a_closed_item_owes_no_report_due_after_its_close_out():
    plan_start, plan_end = date(2024, 1, 1), date(2025, 12, 31)
    calendar = {s.period.id: s for s in schedule(plan_start, plan_end, 10, {})}
    rhythm = Rhythm(calendar, CadenceBook())
    item = Item(
        id=1,
        plan_id=1,
        parent_id=None,
        key="T1",
        kind="task",
        number="1",
        title="t",
        due_on=None,
        status="closed",
        closed_on=date(2024, 7, 20),
    )
    duty = [PlanAssignment(id=1, item_id=1, unit_id=7, unit_name="u", role="lead")]
    assert [o.period.id for o in obligations_of(rhythm, "2024-Q2", [item], duty, {})] == ["2024-H1"]  # due 07-10
    assert obligations_of(rhythm, "2024-Q3", [item], duty, {}) == []


def test_a_cancelled_item_owes_nothing_and_a_report_it_filed_is_listed_not_owed():
    """The plan dropped it (撤销): no report is expected of it, as no light is given it; one filed stays on record."""
    calendar = {s.period.id: s for s in schedule(date(2024, 1, 1), date(2025, 12, 31), 10, {})}
    rhythm = Rhythm(calendar, CadenceBook())
    common = {"plan_id": 1, "parent_id": None, "kind": "task", "number": "1", "title": "t", "due_on": None}
    item = Item(id=1, key="T1", status="cancelled", **common)
    duty = [PlanAssignment(id=1, item_id=1, unit_id=7, unit_name="u", role="lead")]
    assert obligations_of(rhythm, "2024-Q1", [item], duty, {}) == []
    filed = {(1, 7): {"id": 5, "period": "2024-Q1", "status": "submitted"}}
    assert [o.owed for o in obligations_of(rhythm, "2024-Q1", [item], duty, filed)] == [False]


# -- cadences -----------------------------------------------------------------------------------------------


def test_a_monthly_item_owes_a_report_every_month_the_largest_period_ending_there(
    reporting_client, auth, quzhou, t9, lead
):
    set_cadence(reporting_client, auth, t9["id"], "monthly")
    rows = obligations(reporting_client, auth, quzhou.plan_id, end="2024-12-31")
    assert [p for p, _ in owed_by(rows, t9["id"], lead["unit_id"])] == [
        "2024-M01",
        "2024-M02",
        "2024-Q1",
        "2024-M04",
        "2024-M05",
        "2024-H1",
        "2024-M07",
        "2024-M08",
        "2024-Q3",
        "2024-M10",
        "2024-M11",
    ]
    periods = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/periods", headers=auth("viewer")).json()["data"]
    assert {"2024-M01": "monthly"}.items() <= {p["id"]: p["report_type"] for p in periods}.items()
    draft = file_report(reporting_client, lead["headers"], t9["id"], period="2024-M02")
    assert draft["report_type"] == "monthly"


@pytest.mark.parametrize(
    ("cadence", "owed"),
    [("yearly", [("2024", "annual")]), ("half_yearly", [("2024-H1", "half_year"), ("2024", "annual")]), ("none", [])],
)
def test_an_items_own_cadence_decides_what_it_owes(reporting_client, auth, quzhou, t9, lead, cadence, owed):
    set_cadence(reporting_client, auth, t9["id"], cadence)
    assert owed_by(obligations(reporting_client, auth, quzhou.plan_id), t9["id"], lead["unit_id"]) == owed


def test_an_item_with_no_cadence_is_left_out_of_compliance_and_never_red_for_a_missing_report(
    reporting_client, auth, quzhou, t9, lead
):
    set_cadence(reporting_client, auth, t9["id"], "none")
    _, row = compliance_row(reporting_client, auth, quzhou.plan_id, "2024-Q1", t9["id"], lead["unit_id"])
    assert row is None
    lights = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/traffic-lights",
        params={"period": "2024-Q1", "limit": 500, "as_of": "2024-05-01"},
        headers=auth("office"),
    ).json()["data"]
    assert "overdue_without_report" not in next(r for r in lights if r["item_key"] == "T9")["reasons"]


def test_a_cadence_per_item_kind_comes_from_the_plans_rules(reporting_client, auth, quzhou):
    changed = reporting_client.patch(
        f"/v1/plans/{quzhou.plan_id}/rules",
        json={"cadence_by_kind": {"special_action": "yearly"}},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["cadence"], changed.json()["cadence_by_kind"]) == ("quarterly", {"special_action": "yearly"})
    sa1 = quzhou.item("SA1")
    rows = [r for r in obligations(reporting_client, auth, quzhou.plan_id) if r["item_id"] == sa1["id"]]
    assert {r["period"] for r in rows} == {"2024"}
    cadence = reporting_client.get(f"/v1/items/{sa1['id']}/cadence", headers=auth("viewer")).json()
    assert (cadence["cadence"], cadence["effective"], cadence["source"]) == (None, "yearly", "kind")


def test_a_cadence_change_keeps_the_reports_already_filed(reporting_client, auth, quzhou, t9, lead):
    first = set_cadence(reporting_client, auth, t9["id"], "monthly")
    filed = submit(
        reporting_client,
        lead["headers"],
        file_report(reporting_client, lead["headers"], t9["id"], period="2024-M02")["id"],
    )
    set_cadence(reporting_client, auth, t9["id"], None, etag=first.headers["etag"])
    _, row = compliance_row(reporting_client, auth, quzhou.plan_id, "2024-M02", t9["id"], lead["unit_id"])
    assert (row["state"], row["report_id"], row["owed"], row["overdue"]) == ("submitted", filed["id"], False, False)
    assert reporting_client.get(f"/v1/reports/{filed['id']}", headers=lead["headers"]).status_code == 200


def test_a_draft_for_a_period_no_longer_owed_is_neither_overdue_nor_late(reporting_client, auth, quzhou, t9, lead):
    """Only a pair that owes a report and has not submitted it is overdue, and then late; a draft the item no longer
    owes (its cadence changed) waits for nothing, and the summary does not count it late either."""
    draft = file_report(reporting_client, lead["headers"], t9["id"], period="2024-Q1")
    set_cadence(reporting_client, auth, t9["id"], "half_yearly")
    view, row = compliance_row(reporting_client, auth, quzhou.plan_id, "2024-Q1", t9["id"], lead["unit_id"])
    assert (row["report_id"], row["state"], row["owed"], row["overdue"]) == (draft["id"], "draft", False, False)
    assert (row["late"], row["days_late"]) == (False, 0)
    assert view["summary"]["late"] == sum(r["late"] for r in view["data"])


def test_an_items_cadence_is_changed_only_on_the_version_seen(reporting_client, auth, quzhou, t9):
    url = f"/v1/items/{t9['id']}/cadence"
    assert reporting_client.put(url, json={"cadence": "yearly"}, headers=auth("office")).status_code == 428
    set_cadence(reporting_client, auth, t9["id"], "yearly")
    stale = reporting_client.put(url, json={"cadence": "monthly"}, headers=auth("office", **{"If-Match": '"0"'}))
    assert (stale.status_code, stale.headers["content-type"]) == (412, PROBLEM)
    shown = reporting_client.get(url, headers=auth("viewer"))
    assert (shown.json()["cadence"], shown.json()["source"], shown.headers["etag"]) == ("yearly", "item", '"1"')


def test_only_the_office_sets_an_items_cadence(reporting_client, auth, t9, lead):
    response = reporting_client.put(
        f"/v1/items/{t9['id']}/cadence", json={"cadence": "yearly"}, headers={**lead["headers"], "If-Match": '"0"'}
    )
    assert response.status_code == 403


def test_an_unknown_cadence_is_refused(reporting_client, auth, t9):
    response = reporting_client.put(
        f"/v1/items/{t9['id']}/cadence", json={"cadence": "weekly"}, headers=auth("office", **{"If-Match": '"0"'})
    )
    assert response.status_code == 422


# -- content by type ----------------------------------------------------------------------------------------


def test_a_draft_may_be_incomplete(reporting_client, t9, lead):
    response = reporting_client.post(
        "/v1/reports", json={"item_id": t9["id"], "period": "2024-H1"}, headers=lead["headers"]
    )
    assert (response.status_code, response.json()["report_type"]) == (201, "half_year")


def test_a_summary_without_its_achievements_problems_and_next_steps_is_refused_naming_them(reporting_client, t9, lead):
    draft = reporting_client.post(
        "/v1/reports",
        json={
            "item_id": t9["id"],
            "period": "2024",
            "progress": "推进中",
            "measurements": values_for(reporting_client, t9, "2024-12-31"),
        },
        headers=lead["headers"],
    ).json()
    response = reporting_client.post(f"/v1/reports/{draft['id']}/submit", headers=lead["headers"])
    assert (response.status_code, response.headers["content-type"]) == (422, PROBLEM)
    assert [e["location"][-1] for e in response.json()["errors"]] == ["achievements", "problems", "next_steps"]


def test_a_lead_units_summary_needs_a_value_for_every_indicator_of_the_item(reporting_client, t9, lead):
    draft = file_report(reporting_client, lead["headers"], t9["id"], period="2024-H1")
    response = reporting_client.post(f"/v1/reports/{draft['id']}/submit", headers=lead["headers"])
    assert response.status_code == 422
    assert [e["location"][-1] for e in response.json()["errors"]] == ["measurements"]


def test_a_co_operating_units_summary_needs_no_indicator_values(reporting_client, t9, co):
    draft = file_report(reporting_client, co["headers"], t9["id"], period="2024-H1")
    assert submit(reporting_client, co["headers"], draft["id"])["status"] == "submitted"


def test_a_quarterly_progress_report_needs_progress_problems_and_next_steps(reporting_client, t9, lead):
    draft = reporting_client.post(
        "/v1/reports",
        json={"item_id": t9["id"], "period": "2024-Q1", "achievements": "不需要"},
        headers=lead["headers"],
    ).json()
    response = reporting_client.post(f"/v1/reports/{draft['id']}/submit", headers=lead["headers"])
    assert [e["location"][-1] for e in response.json()["errors"]] == ["progress", "problems", "next_steps"]


def test_the_obligations_page_with_a_cursor_in_due_date_order(reporting_client, auth, quzhou):
    url, seen, cursor = f"/v1/plans/{quzhou.plan_id}/obligations", [], None
    while True:
        params = {"from": "2024-01-11", "to": "2024-12-31", "limit": 100, **({"cursor": cursor} if cursor else {})}
        page = reporting_client.get(url, params=params, headers=auth("office")).json()
        seen += [(r["due_on"], r["period"], r["responsibility_id"]) for r in page["data"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == sorted(set(seen)) and len(seen) == 3 * 152  # Q1, H1, Q3 (2024's annual is due in 2025)


def test_a_unit_sees_only_its_own_obligations_and_pending_leaves_out_what_it_submitted(
    reporting_client, auth, quzhou, t9, lead
):
    submit(reporting_client, lead["headers"], file_report(reporting_client, lead["headers"], t9["id"])["id"])
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/obligations",
        params={"from": "2024-04-01", "to": "2024-04-30", "pending": True, "limit": 500},
        headers=lead["headers"],
    )
    rows = response.json()["data"]
    assert rows and {r["unit_id"] for r in rows} == {lead["unit_id"]}
    assert t9["id"] not in {r["item_id"] for r in rows}


def test_the_pending_obligations_are_the_owed_rows_missing_or_in_draft(reporting_client, auth, quzhou, t9, lead, co):
    # Read apart from the full list (the filed pairs as pairs, the drafts as reports): the same rows, the same states.
    draft = file_report(reporting_client, lead["headers"], t9["id"])
    submit(reporting_client, co["headers"], file_report(reporting_client, co["headers"], t9["id"])["id"])
    every = obligations(reporting_client, auth, quzhou.plan_id, "2024-04-01", "2024-04-30")
    pending = obligations(reporting_client, auth, quzhou.plan_id, "2024-04-01", "2024-04-30", pending="true")
    assert pending == [r for r in every if r["state"] in ("missing", "draft")]
    t9_rows = {r["unit_id"]: (r["state"], r["report_id"]) for r in pending if r["item_id"] == t9["id"]}
    assert t9_rows[lead["unit_id"]] == ("draft", draft["id"]) and co["unit_id"] not in t9_rows


def test_the_obligations_are_a_bulk_list_read_in_pages_of_up_to_5000(reporting_client, auth, quzhou):
    url, window = f"/v1/plans/{quzhou.plan_id}/obligations", {"from": "2024-01-11", "to": "2025-01-31"}
    whole = reporting_client.get(url, params={**window, "limit": 5000}, headers=auth("office")).json()
    assert len(whole["data"]) > 500 and whole["next_cursor"] is None
    beyond = reporting_client.get(url, params={**window, "limit": 5001}, headers=auth("office"))
    assert beyond.status_code == 422


def test_a_plan_owing_nothing_answers_an_empty_obligations_page(reporting_client, auth, quzhou):
    changed = reporting_client.patch(
        f"/v1/plans/{quzhou.plan_id}/rules", json={"cadence": "none"}, headers=auth("office", **{"If-Match": '"0"'})
    )
    assert changed.status_code == 200, changed.text
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/obligations",
        params={"from": "2024-01-01", "to": "2024-12-31", "pending": True},
        headers=auth("office"),
    )
    assert response.status_code == 200, response.text
    assert (response.json()["data"], response.json()["next_cursor"]) == ([], None)
