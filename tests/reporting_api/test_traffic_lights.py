"""Traffic lights per item: done, red, yellow and green by the documented rule, with their reasons."""

from datetime import date

from services.common.contracts.plan_rows import PlanItem
from services.reporting_api.oversight.lights import light_of
from services.reporting_api.oversight.progress import progress_of_items
from tests.reporting_api.test_reports import file_report, review, submit

PROBLEM = "application/problem+json"
AFTER_DUE = "2024-05-01"  # 2024-Q1 is due on 2024-04-10
WELL_BEFORE = "2024-02-01"


def lights(client, headers, plan_id, period="2024-Q1", **params):
    response = client.get(
        f"/v1/plans/{plan_id}/traffic-lights", params={"period": period, "limit": 500, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def light_of_t9(client, auth, quzhou, **params):
    view = lights(client, auth("office"), quzhou.plan_id, **params)
    row = next(r for r in view["data"] if r["item_key"] == "T9")
    return row["light"], row["reasons"]


def lead_report(client, transport, quzhou, period="2024-Q1", **content):
    report = file_report(client, transport["headers"], quzhou.item("T9")["id"], period=period, **content)
    return submit(client, transport["headers"], report["id"])


def test_t9_is_red_when_the_lead_report_is_missing_after_the_due_date(reporting_client, auth, quzhou):
    assert light_of_t9(reporting_client, auth, quzhou, as_of=AFTER_DUE) == ("red", ["overdue_without_report"])


def test_t9_is_yellow_when_the_report_is_due_within_seven_days_and_missing(reporting_client, auth, quzhou):
    moved = reporting_client.put(
        f"/v1/plans/{quzhou.plan_id}/periods/2024-Q1/due-date", json={"due_on": "2024-05-06"}, headers=auth("office")
    )
    assert moved.status_code == 204
    assert light_of_t9(reporting_client, auth, quzhou, as_of="2024-04-29") == ("yellow", ["due_soon_without_report"])


def test_t9_is_green_while_the_due_date_is_more_than_seven_days_away(reporting_client, auth, quzhou):
    assert light_of_t9(reporting_client, auth, quzhou, as_of=WELL_BEFORE) == ("green", [])


def test_t9_is_green_with_an_on_track_report(reporting_client, auth, quzhou, transport):
    lead_report(reporting_client, transport, quzhou, self_status="on_track")
    assert light_of_t9(reporting_client, auth, quzhou, as_of=AFTER_DUE) == ("green", [])


def test_t9_is_done_when_its_completed_report_is_accepted(reporting_client, auth, quzhou, transport):
    report = lead_report(reporting_client, transport, quzhou, self_status="completed", percent_complete=100)
    assert review(reporting_client, auth, report["id"], "accept").status_code == 200
    assert light_of_t9(reporting_client, auth, quzhou) == ("done", ["accepted_as_completed"])


def test_a_completed_report_is_not_done_before_it_is_accepted(reporting_client, auth, quzhou, transport):
    lead_report(reporting_client, transport, quzhou, self_status="completed")
    assert light_of_t9(reporting_client, auth, quzhou) == ("green", [])


def test_t9_is_red_when_the_lead_report_says_delayed(reporting_client, auth, quzhou, transport):
    lead_report(reporting_client, transport, quzhou, self_status="delayed")
    assert light_of_t9(reporting_client, auth, quzhou) == ("red", ["lead_report_delayed"])


def test_t9_is_yellow_when_the_lead_report_says_at_risk(reporting_client, auth, quzhou, transport):
    lead_report(reporting_client, transport, quzhou, self_status="at_risk")
    assert light_of_t9(reporting_client, auth, quzhou) == ("yellow", ["lead_report_at_risk"])


def test_a_draft_lead_report_is_not_a_report_yet(reporting_client, auth, quzhou, transport):
    file_report(reporting_client, transport["headers"], quzhou.item("T9")["id"])
    assert light_of_t9(reporting_client, auth, quzhou, as_of=AFTER_DUE) == ("red", ["overdue_without_report"])


def test_a_co_operating_units_report_does_not_light_the_item(reporting_client, auth, quzhou):
    culture = auth("unit", unit_id=quzhou.unit_id("市文旅局"))
    submit(reporting_client, culture, file_report(reporting_client, culture, quzhou.item("T9")["id"])["id"])
    assert light_of_t9(reporting_client, auth, quzhou, as_of=AFTER_DUE) == ("red", ["overdue_without_report"])


def test_t9_is_red_when_an_indicator_is_behind_its_straight_line_path(reporting_client, auth, quzhou, transport):
    # 2024-03-31 is 72% of the way from the plan's start (2019-10-28) to 2025-12-31; 50 of 298 km is 17%.
    lead_report(
        reporting_client,
        transport,
        quzhou,
        measurements=[{"indicator_id": quzhou.indicator_id("T9-expressway-km"), "value": 50, "as_of": "2024-03-31"}],
    )
    assert light_of_t9(reporting_client, auth, quzhou) == ("red", ["indicator_behind:T9-expressway-km"])


def test_the_indicator_margin_is_the_plans_rule(reporting_client, auth, quzhou, transport):
    patched = reporting_client.patch(
        f"/v1/plans/{quzhou.plan_id}/rules",
        json={"indicator_margin": 0.6},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    assert patched.status_code == 200, patched.text
    lead_report(
        reporting_client,
        transport,
        quzhou,
        measurements=[{"indicator_id": quzhou.indicator_id("T9-expressway-km"), "value": 50, "as_of": "2024-03-31"}],
    )
    assert light_of_t9(reporting_client, auth, quzhou) == ("green", [])


def test_an_indicator_on_its_path_keeps_the_item_green(reporting_client, auth, quzhou, transport):
    lead_report(
        reporting_client,
        transport,
        quzhou,
        measurements=[{"indicator_id": quzhou.indicator_id("T9-expressway-km"), "value": 200, "as_of": "2024-03-31"}],
    )
    assert light_of_t9(reporting_client, auth, quzhou) == ("green", [])


def closed_item(closed_on=date(2024, 3, 1)):
    return PlanItem(
        id=1,
        plan_id=1,
        parent_id=None,
        key="T1",
        kind="task",
        number="1",
        title="t",
        due_on=None,
        status="closed",
        closed_on=closed_on,
    )


def test_an_item_closed_in_tasks_api_is_done_even_without_a_report():
    light = light_of(closed_item(), None, [], due_on=date(2024, 4, 10), today=date(2024, 5, 1), due_soon_days=7)
    assert light == ("done", ["item_closed"])


def test_a_closed_item_is_done_although_its_last_report_said_delayed():
    report = {"id": 1, "status": "accepted", "self_status": "delayed", "reached": True}
    light = light_of(closed_item(), report, [], due_on=date(2024, 4, 10), today=date(2024, 5, 1), due_soon_days=7)
    assert light == ("done", ["item_closed"])


def progress_of_t9(client, auth, quzhou):
    view = lights(client, auth("office"), quzhou.plan_id)
    return next(r for r in view["data"] if r["item_key"] == "T9")["progress_status"]


def test_an_item_without_an_accepted_report_has_not_started(reporting_client, auth, quzhou, transport):
    lead_report(reporting_client, transport, quzhou, self_status="on_track")  # submitted, not yet accepted
    assert progress_of_t9(reporting_client, auth, quzhou) == "not_started"


def test_an_accepted_report_puts_the_item_in_progress(reporting_client, auth, quzhou, transport):
    report = lead_report(reporting_client, transport, quzhou, self_status="on_track")
    assert review(reporting_client, auth, report["id"], "accept").status_code == 200
    assert progress_of_t9(reporting_client, auth, quzhou) == "in_progress"


def test_the_lead_units_accepted_report_declaring_completion_completes_the_item(
    reporting_client, auth, quzhou, transport
):
    report = lead_report(reporting_client, transport, quzhou, self_status="completed", percent_complete=100)
    assert review(reporting_client, auth, report["id"], "accept").status_code == 200
    assert progress_of_t9(reporting_client, auth, quzhou) == "completed"


def test_progress_counts_accepted_reports_of_every_period(reporting_client, auth, quzhou, transport):
    report = lead_report(reporting_client, transport, quzhou, period="2023-Q3", self_status="completed")
    assert review(reporting_client, auth, report["id"], "accept").status_code == 200
    assert progress_of_t9(reporting_client, auth, quzhou) == "completed"


def test_a_co_operating_units_completion_only_puts_the_item_in_progress():
    item = PlanItem(
        id=9, plan_id=1, parent_id=None, key="T9", kind="task", number="9", title="t", due_on=None, status="open"
    )
    assert progress_of_items([item], {9: 0}) == {9: "in_progress"}


def test_closed_in_tasks_api_is_the_last_progress_status():
    assert progress_of_items([closed_item()], {1: 1}) == {1: "closed"}


def test_only_items_with_a_lead_unit_get_a_light(reporting_client, auth, quzhou):
    keys = {row["item_key"] for row in lights(reporting_client, auth("office"), quzhou.plan_id)["data"]}
    assert "T9" in keys and "SA1" in keys
    assert not keys & {"goals", "S3", "A3", "T13", "P7", "SG1"}


def test_the_light_filter_keeps_the_summary_of_everything(reporting_client, auth, quzhou, transport):
    lead_report(reporting_client, transport, quzhou, self_status="at_risk")
    view = lights(reporting_client, auth("office"), quzhou.plan_id, light="yellow", as_of=AFTER_DUE)
    assert [row["item_key"] for row in view["data"]] == ["T9"]
    assert view["summary"]["yellow"] == 1 and view["summary"]["red"] > 1


def test_the_kind_filter_lists_one_kind(reporting_client, auth, quzhou):
    view = lights(reporting_client, auth("office"), quzhou.plan_id, kind="special_action")
    assert len(view["data"]) == 9 and {row["kind"] for row in view["data"]} == {"special_action"}


def test_the_unit_filter_lists_the_items_a_unit_is_responsible_for(reporting_client, auth, quzhou):
    view = lights(reporting_client, auth("office"), quzhou.plan_id, unit_id=quzhou.unit_id("市文旅局"))
    keys = {row["item_key"] for row in view["data"]}
    assert {"T9", "SA4"} <= keys  # co-operating on T9, leading SA4


def test_a_unit_token_sees_only_the_items_it_is_responsible_for(reporting_client, auth, quzhou, transport):
    mine = lights(reporting_client, transport["headers"], quzhou.plan_id)["data"]
    everything = lights(reporting_client, auth("office"), quzhou.plan_id, unit_id=transport["unit_id"])["data"]
    assert [row["item_id"] for row in mine] == [row["item_id"] for row in everything] and "T9" in {
        row["item_key"] for row in mine
    }


def test_a_unit_token_cannot_ask_for_another_units_items(reporting_client, quzhou, transport):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/traffic-lights",
        params={"period": "2024-Q1", "unit_id": quzhou.unit_id("市文旅局")},
        headers=transport["headers"],
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM


def test_an_unknown_light_is_refused(reporting_client, auth, quzhou):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/traffic-lights",
        params={"period": "2024-Q1", "light": "blue"},
        headers=auth("office"),
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


def test_traffic_lights_of_an_unknown_plan_are_404(reporting_client, auth):
    response = reporting_client.get(
        "/v1/plans/999999/traffic-lights", params={"period": "2024-Q1"}, headers=auth("viewer")
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


def test_traffic_lights_need_a_token(reporting_client, quzhou):
    response = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/traffic-lights", params={"period": "2024-Q1"})
    assert response.status_code == 401
