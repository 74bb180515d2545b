"""The reporting calendar: quarters, half-years and years with due dates on working days."""

import pytest


def periods(client, auth, plan_id, **params):
    response = client.get(f"/v1/plans/{plan_id}/periods", params=params, headers=auth("viewer"))
    assert response.status_code == 200, response.text
    return {p["id"]: p for p in response.json()["data"]}


def test_the_quzhou_plan_reports_every_quarter_half_year_and_year(reporting_client, auth, quzhou):
    found = periods(reporting_client, auth, quzhou.plan_id)
    assert "2019-Q4" in found and "2019-Q3" not in found  # the plan starts on 2019-10-28
    assert [p for p in found if p.startswith("2021")] == [
        "2021-Q1",
        "2021-Q2",
        "2021-H1",
        "2021-Q3",
        "2021-Q4",
        "2021-H2",
        "2021",
    ]
    assert "2026-Q1" not in found


def test_a_report_is_due_ten_days_after_the_period_on_a_working_day(reporting_client, auth, quzhou):
    found = periods(reporting_client, auth, quzhou.plan_id)
    assert found["2020-Q1"]["due_on"] == "2020-04-10"
    # 2020-10-10 was a Saturday but a make-up working day (调休) for the National Day holiday.
    assert found["2020-Q3"]["due_on"] == "2020-10-10"
    # 2024-01-10 + … : 2023's annual report: 2024-01-10 is a Wednesday.
    assert found["2023"]["due_on"] == "2024-01-10"


def test_a_due_date_falling_in_the_spring_festival_moves_past_it(reporting_client, auth, quzhou):
    patched = reporting_client.patch(
        f"/v1/plans/{quzhou.plan_id}/rules",
        json={"due_days_after_period": 41},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    assert patched.status_code == 200, patched.text
    # 2023-12-31 + 41 days = 2024-02-10, in the Spring Festival holiday; 2024-02-18 is the 调休 Sunday.
    assert periods(reporting_client, auth, quzhou.plan_id)["2023"]["due_on"] == "2024-02-18"


def test_the_office_overrides_a_period_due_date(reporting_client, auth, quzhou):
    url = f"/v1/plans/{quzhou.plan_id}/periods/2024-Q2/due-date"
    assert reporting_client.put(url, json={"due_on": "2024-07-31"}, headers=auth("office")).status_code == 204
    found = periods(reporting_client, auth, quzhou.plan_id)["2024-Q2"]
    assert (found["due_on"], found["due_on_overridden"]) == ("2024-07-31", True)


def test_a_unit_cannot_override_a_due_date(reporting_client, auth, quzhou):
    url = f"/v1/plans/{quzhou.plan_id}/periods/2024-Q2/due-date"
    assert reporting_client.put(url, json={"due_on": "2024-07-31"}, headers=auth("unit", unit_id=1)).status_code == 403


def test_a_due_date_before_the_period_ends_is_refused(reporting_client, auth, quzhou):
    url = f"/v1/plans/{quzhou.plan_id}/periods/2024-Q2/due-date"
    assert reporting_client.put(url, json={"due_on": "2024-06-01"}, headers=auth("office")).status_code == 422


def test_an_unknown_period_is_refused(reporting_client, auth, quzhou):
    url = f"/v1/plans/{quzhou.plan_id}/periods/2031-Q2/due-date"
    assert reporting_client.put(url, json={"due_on": "2031-07-31"}, headers=auth("office")).status_code == 422


@pytest.mark.parametrize("period", ["9999-H2", "0001-Q1", "2201", "1969-Q4"])
def test_a_period_outside_the_supported_years_is_422(reporting_client, auth, quzhou, period):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/compliance", params={"period": period}, headers=auth("office")
    )
    assert response.status_code == 422
    assert "supported years" in response.json()["detail"]


def test_periods_of_an_unknown_plan_are_404(reporting_client, auth):
    response = reporting_client.get("/v1/plans/999999/periods", headers=auth("viewer"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_rules_of_an_unknown_plan_are_404(reporting_client, auth):
    response = reporting_client.get("/v1/plans/999999/rules", headers=auth("viewer"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_rules_of_an_unknown_plan_cannot_be_set(reporting_client, auth):
    # Until 2026-12-07 the rules were stored for any plan id, waiting for a plan that might later take it.
    response = reporting_client.patch(
        "/v1/plans/999999/rules", json={"due_days_after_period": 20}, headers=auth("office", **{"If-Match": '"0"'})
    )
    assert response.status_code == 404
    history = reporting_client.get("/v1/history/plan_rules/999999", headers=auth("office"))
    assert history.status_code == 200, history.text
    assert history.json()["data"] == []


def test_rules_weights_must_sum_to_one(reporting_client, auth, quzhou):
    response = reporting_client.patch(
        f"/v1/plans/{quzhou.plan_id}/rules",
        json={
            "weights": {"on_time": 0.5, "first_time_accepted": 0.5, "green_or_done": 0.5, "indicator_attainment": 0.5}
        },
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    assert response.status_code == 422


def test_year_zero_is_not_a_period(reporting_client, auth, quzhou):
    # The period pattern lets 0000 through; the calendar has no year 0 (found by schemathesis, was a 500).
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/compliance", params={"period": "0000"}, headers=auth("viewer")
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
