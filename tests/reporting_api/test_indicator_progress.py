"""Indicator progress: latest value, attainment, straight-line path and least-squares projection to target."""

from datetime import date

import pytest

from services.common.contracts.plan_rows import PlanIndicator
from services.reporting_api.oversight.indicators import attainment, meets
from tests.reporting_api.test_reports import file_report, indicator_ids, review, submit

PROBLEM = "application/problem+json"
KM = "T9-expressway-km"  # 到 2025 年建成高速公路 298 公里
QUARTER_ENDS = {"2024-Q1": "2024-03-31", "2024-H1": "2024-06-30", "2024-Q3": "2024-09-30"}


def report_km(client, transport, quzhou, period, value, as_of=None):
    """市交通运输局 files and submits T9's report for a period with the expressway kilometres built."""
    km, day = quzhou.indicator_id(KM), as_of or QUARTER_ENDS[period]
    # The half-year summary carries a value for each of T9's indicators; the others do not matter here.
    others = [i for i in indicator_ids(client, quzhou.item("T9")) if i != km] if period.endswith("H1") else []
    measurements = [
        {"indicator_id": km, "value": value, "as_of": day},
        *({"indicator_id": i, "value": 1, "as_of": day} for i in others),
    ]
    report = file_report(
        client, transport["headers"], quzhou.item("T9")["id"], period=period, measurements=measurements
    )
    return submit(client, transport["headers"], report["id"])


def progress(client, headers, plan_id, **params):
    response = client.get(f"/v1/plans/{plan_id}/indicators/progress", params={"limit": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def km_progress(client, auth, quzhou, **params):
    view = progress(client, auth("office"), quzhou.plan_id, item_id=quzhou.item("T9")["id"], **params)
    return next(row for row in view["data"] if row["key"] == KM)


def test_the_latest_value_gives_the_attainment(reporting_client, auth, quzhou, transport):
    report_km(reporting_client, transport, quzhou, "2024-Q1", 150)
    report_km(reporting_client, transport, quzhou, "2024-H1", 180)
    row = km_progress(reporting_client, auth, quzhou)
    assert (row["latest_value"], row["latest_as_of"], row["points"], row["target"]) == (180, "2024-06-30", 2, 298)
    assert row["attainment"] == pytest.approx(180 / 298, abs=1e-4)


def test_two_slow_measurements_project_a_miss_of_298_km(reporting_client, auth, quzhou, transport):
    report_km(reporting_client, transport, quzhou, "2024-Q1", 150)
    report_km(reporting_client, transport, quzhou, "2024-H1", 160)
    row = km_progress(reporting_client, auth, quzhou)
    # 10 km in 91 days, carried on for the 549 days to 2025-12-31.
    assert row["projected_value"] == pytest.approx(160 + 549 * 10 / 91, abs=1e-3)
    assert row["projection_misses_target"] is True


def test_a_fast_trend_reaches_the_target(reporting_client, auth, quzhou, transport):
    report_km(reporting_client, transport, quzhou, "2024-Q1", 150)
    report_km(reporting_client, transport, quzhou, "2024-H1", 200)
    assert km_progress(reporting_client, auth, quzhou)["projection_misses_target"] is False


def test_three_measurements_are_fitted_by_least_squares(reporting_client, auth, quzhou, transport):
    # Half a kilometre a day from 100 km on 2024-03-31: 640 days later, on 2025-12-31, 420 km.
    for period, value in (("2024-Q1", 100), ("2024-H1", 145.5), ("2024-Q3", 191.5)):
        report_km(reporting_client, transport, quzhou, period, value)
    row = km_progress(reporting_client, auth, quzhou)
    assert (row["points"], row["projected_value"], row["projection_misses_target"]) == (3, 420.0, False)


def test_one_measurement_gives_no_projection(reporting_client, auth, quzhou, transport):
    report_km(reporting_client, transport, quzhou, "2024-Q1", 150)
    row = km_progress(reporting_client, auth, quzhou)
    assert (row["projected_value"], row["projection_misses_target"], row["latest_value"]) == (None, None, 150)


def test_an_indicator_without_measurements_has_no_figures(reporting_client, auth, quzhou):
    row = km_progress(reporting_client, auth, quzhou)
    assert (row["points"], row["latest_value"], row["attainment"], row["behind"]) == (0, None, None, False)


def test_an_indicator_behind_its_straight_line_path_is_flagged(reporting_client, auth, quzhou, transport):
    report_km(reporting_client, transport, quzhou, "2024-Q1", 50)
    row = km_progress(reporting_client, auth, quzhou)
    # 2024-03-31 is 72% of the way from the plan's start (2019-10-28) to 2025-12-31.
    assert (row["expected_share"], row["behind"]) == (pytest.approx(0.7163, abs=1e-4), True)


def test_the_latest_value_is_the_latest_by_date_not_by_filing(reporting_client, auth, quzhou, transport):
    report_km(reporting_client, transport, quzhou, "2024-H1", 180)
    report_km(reporting_client, transport, quzhou, "2024-Q1", 150)
    assert km_progress(reporting_client, auth, quzhou)["latest_value"] == 180


def test_a_returned_version_does_not_count(reporting_client, auth, quzhou, transport):
    report = report_km(reporting_client, transport, quzhou, "2024-Q1", 150)
    assert review(reporting_client, auth, report["id"], "return", "数据有误").status_code == 200
    assert km_progress(reporting_client, auth, quzhou)["points"] == 0


def test_a_draft_does_not_count(reporting_client, auth, quzhou, transport):
    file_report(
        reporting_client,
        transport["headers"],
        quzhou.item("T9")["id"],
        measurements=[{"indicator_id": quzhou.indicator_id(KM), "value": 150, "as_of": "2024-03-31"}],
    )
    assert km_progress(reporting_client, auth, quzhou)["points"] == 0


def test_as_of_leaves_out_later_measurements(reporting_client, auth, quzhou, transport):
    report_km(reporting_client, transport, quzhou, "2024-Q1", 150)
    report_km(reporting_client, transport, quzhou, "2024-H1", 180)
    row = km_progress(reporting_client, auth, quzhou, as_of="2024-05-01")
    assert (row["latest_value"], row["points"]) == (150, 1)


def test_the_item_filter_lists_one_items_indicators(reporting_client, auth, quzhou):
    view = progress(reporting_client, auth("viewer"), quzhou.plan_id, item_id=quzhou.item("T9")["id"])
    assert [row["key"] for row in view["data"]] == [
        "T9-expressway-km",
        "T9-national-provincial-road-km",
        "T9-road-total-km",
        "T9-road-density",
        "T9-grade2-share",
    ]


def test_progress_pages_with_a_cursor(reporting_client, auth, quzhou):
    first = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/indicators/progress", params={"limit": 10}, headers=auth("viewer")
    ).json()
    second = progress(reporting_client, auth("viewer"), quzhou.plan_id, cursor=first["next_cursor"])
    ids = [row["indicator_id"] for row in first["data"] + second["data"]]
    assert len(first["data"]) == 10 and ids == sorted(set(ids)) and second["next_cursor"] is None


def test_a_unit_token_sees_the_indicators_of_its_own_items(reporting_client, quzhou, transport):
    keys = {row["key"] for row in progress(reporting_client, transport["headers"], quzhou.plan_id)["data"]}
    assert KM in keys and "P7-planned-area" not in keys


def test_a_unit_token_cannot_read_the_indicators_of_another_item(reporting_client, quzhou, transport):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/indicators/progress",
        params={"item_id": quzhou.item("P7")["id"]},
        headers=transport["headers"],
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


def test_an_item_outside_the_plan_is_404(reporting_client, auth, quzhou):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/indicators/progress", params={"item_id": 999999}, headers=auth("office")
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


def test_progress_of_an_unknown_plan_is_404(reporting_client, auth):
    response = reporting_client.get("/v1/plans/999999/indicators/progress", headers=auth("office"))
    assert response.status_code == 404


def test_progress_needs_a_token(reporting_client, quzhou):
    response = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/indicators/progress")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


def indicator(comparison, target, baseline=None):
    return PlanIndicator(
        id=1,
        item_id=1,
        key="x",
        name="x",
        measure="",
        baseline=baseline,
        target=target,
        comparison=comparison,
        target_date=date(2025, 12, 31),
    )


def test_a_lower_is_better_indicator_measures_the_way_down_from_its_baseline():
    # 单位 GDP 能耗 from 0.8 down to 0.6: at 0.7 half the way is done.
    assert attainment(indicator("<=", 0.6, baseline=0.8), 0.7) == pytest.approx(0.5)


def test_a_lower_is_better_indicator_without_baseline_is_target_over_value():
    assert attainment(indicator("<=", 30), 60) == pytest.approx(0.5)
    assert meets(indicator("<=", 30), 25) and not meets(indicator("<=", 30), 31)


def test_an_equal_indicator_is_reached_from_where_it_starts():
    assert meets(indicator("=", 16.6), 16.6) and not meets(indicator("=", 16.6), 10)
    assert attainment(indicator("=", 7), 7) == 1
