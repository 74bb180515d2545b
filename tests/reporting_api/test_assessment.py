"""Closing a period freezes what it said; the annual assessment is computed from closed periods only."""

import pytest

from services.reporting_api.assessment.scores import ranked, score
from tests.reporting_api.test_reports import FULL_CONTENT, indicator_ids

TRANSPORT, CULTURE = "市交通运输局", "市文旅局"


@pytest.fixture
def units(quzhou, auth):
    return {name: {"id": quzhou.unit_id(name), "headers": auth("unit", unit_id=quzhou.unit_id(name))}
            for name in (TRANSPORT, CULTURE)}


def file_and_submit(client, headers, item_id, period, **content):
    report = client.post("/v1/reports", json={"item_id": item_id, "period": period, **FULL_CONTENT, **content},
                         headers=headers)
    assert report.status_code == 201, report.text
    assert client.post(f"/v1/reports/{report.json()['id']}/submit", headers=headers).status_code == 200
    return report.json()["id"]


def review(client, auth, report_id, decision, comment=None):
    response = client.post(f"/v1/reports/{report_id}/review", json={"decision": decision, "comment": comment},
                           headers=auth("office"))
    assert response.status_code == 200, response.text


def values_of(client, quzhou, key, as_of="2024-12-31"):
    """A value for every indicator of the item: what a lead unit's summary must carry."""
    return [{"indicator_id": i, "value": 1, "as_of": as_of} for i in indicator_ids(client, quzhou.item(key))]


def close(client, auth, plan_id, period, as_of="2025-03-01"):
    return client.post(f"/v1/plans/{plan_id}/periods/{period}/close", params={"as_of": as_of},
                       headers=auth("office"))


def test_closing_a_period_freezes_its_compliance_and_locks_its_reports(reporting_client, auth, quzhou, units):
    headers = units[TRANSPORT]["headers"]
    report_id = file_and_submit(reporting_client, headers, quzhou.item("T9")["id"], "2024",
                                measurements=values_of(reporting_client, quzhou, "T9"))
    closed = close(reporting_client, auth, quzhou.plan_id, "2024")
    assert closed.status_code == 201, closed.text
    summary = closed.json()["snapshot"]["compliance"]["summary"]
    assert summary["submitted"] == 1
    locked = reporting_client.post(f"/v1/reports/{report_id}/review", json={"decision": "accept"},
                                   headers=auth("office"))
    assert locked.status_code == 409
    snapshot = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/periods/2024/snapshot", headers=auth("office"))
    assert snapshot.json()["snapshot"]["compliance"]["summary"] == summary


def test_a_closed_period_cannot_be_closed_again(reporting_client, auth, quzhou):
    assert close(reporting_client, auth, quzhou.plan_id, "2024-Q3").status_code == 201
    assert close(reporting_client, auth, quzhou.plan_id, "2024-Q3").status_code == 409


def test_only_the_office_closes_a_period(reporting_client, auth, quzhou, units):
    response = reporting_client.post(f"/v1/plans/{quzhou.plan_id}/periods/2024-Q3/close",
                                     headers=units[TRANSPORT]["headers"])
    assert response.status_code == 403


def test_the_snapshot_of_an_open_period_is_404(reporting_client, auth, quzhou):
    response = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/periods/2024-Q2/snapshot", headers=auth("office"))
    assert response.status_code == 404


def test_the_assessment_needs_a_closed_period_of_the_year(reporting_client, auth, quzhou):
    response = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/assessment", params={"year": 2024},
                                    headers=auth("office"))
    assert response.status_code == 422


def test_the_assessment_scores_units_from_closed_periods_with_their_breakdown(reporting_client, auth, quzhou, units):
    plan_id = quzhou.plan_id
    reporting_client.put(f"/v1/plans/{plan_id}/periods/2024/due-date", json={"due_on": "2099-01-10"},
                         headers=auth("office"))
    first = file_and_submit(reporting_client, units[TRANSPORT]["headers"], quzhou.item("T9")["id"], "2024",
                            self_status="on_track", measurements=values_of(reporting_client, quzhou, "T9"))
    review(reporting_client, auth, first, "accept")
    returned = file_and_submit(reporting_client, units[CULTURE]["headers"], quzhou.item("T9")["id"], "2024")
    review(reporting_client, auth, returned, "return", "请补充")
    assert close(reporting_client, auth, plan_id, "2024", as_of="2024-12-31").status_code == 201
    assessment = reporting_client.get(f"/v1/plans/{plan_id}/assessment", params={"year": 2024},
                                      headers=auth("office")).json()
    assert assessment["periods"] == ["2024"]
    rows = {row["unit_name"]: row for row in assessment["departments"]}
    transport = rows[TRANSPORT]["metrics"]
    assert transport["first_time_accepted"] == {"value": 1.0, "accepted_first": 1, "reviewed": 1}
    assert rows[CULTURE]["metrics"]["first_time_accepted"]["value"] == 0.0
    assert transport["on_time"]["on_time"] >= 1
    assert rows[TRANSPORT]["score"] > rows[CULTURE]["score"]
    assert rows[TRANSPORT]["rank"] < rows[CULTURE]["rank"]
    assert {row["unit_kind"] for row in assessment["counties"]} <= {"county"}


def test_a_unit_sees_only_its_own_assessment(reporting_client, auth, quzhou, units):
    close(reporting_client, auth, quzhou.plan_id, "2024")
    assessment = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/assessment", params={"year": 2024},
                                      headers=units[TRANSPORT]["headers"]).json()
    assert {row["unit_id"] for row in assessment["departments"] + assessment["counties"]} == {units[TRANSPORT]["id"]}


def test_a_metric_without_data_spreads_its_weight_over_the_others():
    metrics = {"on_time": {"value": 0.5}, "first_time_accepted": {"value": 1.0},
               "green_or_done": {"value": None}, "indicator_attainment": {"value": None}}
    value, applied = score(metrics, {"on_time": 0.3, "first_time_accepted": 0.2, "green_or_done": 0.3,
                                     "indicator_attainment": 0.2})
    assert applied == pytest.approx({"on_time": 0.6, "first_time_accepted": 0.4})
    assert value == 70.0


def test_equal_scores_share_a_rank():
    rows = ranked([{"unit_name": "甲", "score": 90.0}, {"unit_name": "乙", "score": 80.0},
                   {"unit_name": "丙", "score": 90.0}, {"unit_name": "丁", "score": None}])
    assert [r["rank"] for r in rows] == [1, 1, 3, None]
    assert {r["unit_name"] for r in rows[:2]} == {"甲", "丙"}
