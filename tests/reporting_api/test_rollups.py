"""Roll-ups of a period's reports by unit, section, county, thematic group and item kind."""

import json
from datetime import date

import pytest

from services.common.contracts.plan_rows import PlanAssignment, PlanItem
from services.common.contracts.tasks import ItemLink
from services.reporting_api.oversight import period_rows
from services.reporting_api.oversight.inputs import load_plan_oversight
from services.reporting_api.oversight.memo import InputMemo
from services.reporting_api.oversight.rollups import rollup
from services.reporting_api.oversight.service import oversight_of
from tests.reporting_api.test_reports import file_report, review, submit

TRANSPORT = "市交通运输局"
PROBLEM = "application/problem+json"
COUNTIES = {"开化县", "衢江区", "江山市", "常山县", "柯城区", "龙游县"}


def rollups(client, auth, plan_id, by, period="2024-Q1", role="office", **params):
    """The whole roll-up: its first page with the rows of every page."""
    query = {"period": period, "by": by, "limit": 500, **params}
    response = client.get(f"/v1/plans/{plan_id}/rollups", params=query, headers=auth(role))
    assert response.status_code == 200, response.text
    view = response.json()
    while view["next_cursor"] is not None:
        more = client.get(response.links["next"]["url"], headers=auth(role)).json()
        view = {**view, "data": view["data"] + more["data"], "next_cursor": more["next_cursor"]}
    return view


def test_a_rollup_pages_like_any_list_with_its_period_header_on_every_page(reporting_client, auth, quzhou):
    whole = rollups(reporting_client, auth, quzhou.plan_id, "unit")
    query = {"period": "2024-Q1", "by": "unit", "limit": 7}
    first = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/rollups", params=query, headers=auth("office"))
    second = reporting_client.get(first.links["next"]["url"], headers=auth("office")).json()
    assert len(first.json()["data"]) == len(second["data"]) == 7
    assert first.json()["data"] + second["data"] == whole["data"][:14]
    assert (second["period"], second["by"], second["due_on"]) == (whole["period"], "unit", whole["due_on"])


def group_named(view, name):
    return next(row for row in view["data"] if row["group"]["name"] == name)


def group_keyed(view, key):
    return next(row for row in view["data"] if row["group"]["key"] == key)


def test_by_unit_shows_a_units_late_submission(reporting_client, auth, quzhou, transport):
    report = file_report(reporting_client, transport["headers"], quzhou.item("T9")["id"])
    submit(reporting_client, transport["headers"], report["id"])
    row = group_named(rollups(reporting_client, auth, quzhou.plan_id, "unit"), TRANSPORT)
    assert row["group"]["id"] == transport["unit_id"]
    assert (row["submitted"], row["awaiting_review"], row["late"], row["on_time"]) == (1, 1, 1, 0)
    assert row["missing"] == row["expected"] - 1 and row["expected"] > 1


def test_by_unit_counts_reviews_and_drafts(reporting_client, auth, quzhou, transport):
    accepted = file_report(reporting_client, transport["headers"], quzhou.item("T9")["id"])
    submit(reporting_client, transport["headers"], accepted["id"])
    review(reporting_client, auth, accepted["id"], "accept")
    file_report(reporting_client, transport["headers"], quzhou.item("T10")["id"])
    row = group_named(rollups(reporting_client, auth, quzhou.plan_id, "unit"), TRANSPORT)
    assert (row["submitted"], row["accepted"], row["awaiting_review"], row["draft"]) == (1, 1, 0, 1)
    assert row["missing"] == row["expected"] - 2


def test_by_unit_the_expected_reports_add_up_to_every_responsibility_that_owes_one(reporting_client, auth, quzhou):
    # 2019's annual summary is owed on every item; by 2024 the 2019–2020 key works have ended.
    assert (
        sum(row["expected"] for row in rollups(reporting_client, auth, quzhou.plan_id, "unit", "2019")["data"]) == 256
    )
    view = rollups(reporting_client, auth, quzhou.plan_id, "unit")
    assert sum(row["expected"] for row in view["data"]) == 152
    assert sum(row["missing"] for row in view["data"]) == 152


def test_by_county_lists_only_the_six_counties(reporting_client, auth, quzhou):
    view = rollups(reporting_client, auth, quzhou.plan_id, "county", "2019")
    assert {row["group"]["name"] for row in view["data"]} == COUNTIES
    # 柯城区 and 龙游县 answer only for key works of 2019–2020: they are listed with their lights, owing nothing.
    view = rollups(reporting_client, auth, quzhou.plan_id, "county")
    assert {row["group"]["name"] for row in view["data"]} == COUNTIES
    assert {row["group"]["name"] for row in view["data"] if row["expected"] == 0} == {"柯城区", "龙游县"}


def test_by_group_includes_the_thematic_groups_through_the_lead_leaders_of_special_actions(
    reporting_client, auth, quzhou
):
    view = rollups(reporting_client, auth, quzhou.plan_id, "group")
    assert {row["group"]["key"] for row in view["data"]} == {
        "tg-infrastructure",
        "tg-innovation-industry",
        "tg-public-services",
        "tg-digital-economy",
        "tg-beautiful-economy",
        "tg-ecology",
        "tg-market-opening",
        "tg-social-governance",
        "tg-city-cooperation",
    }
    # 吕跃龙 leads SA4 (two units) and is the only lead leader in 美丽经济专题组.
    beautiful = group_keyed(view, "tg-beautiful-economy")
    assert (beautiful["group"]["name"], beautiful["items"], beautiful["expected"]) == ("美丽经济专题组", 1, 2)
    # 陈锦标 leads SA1 and SA3 (5 + 4 units) and is the only lead leader in 城市合作专题组.
    city = group_keyed(view, "tg-city-cooperation")
    assert (city["items"], city["expected"]) == (2, 9)


def test_by_section_puts_an_item_under_its_section_and_the_rest_under_their_top_level_item(
    reporting_client, auth, quzhou, transport
):
    report = file_report(reporting_client, transport["headers"], quzhou.item("T9")["id"])
    submit(reporting_client, transport["headers"], report["id"])
    view = rollups(reporting_client, auth, quzhou.plan_id, "section")
    # A2's key works (2019–2020) owe nothing in 2024: listed with their lights, expected 0.
    assert [row["group"]["key"] for row in view["data"]] == [f"S{n}" for n in range(1, 10)] + ["A2", "A3"]
    assert group_keyed(view, "A2")["expected"] == 0
    s3 = group_keyed(view, "S3")  # T8 to T12: 2 + 2 + 2 + 1 + 4 responsibilities, T10's platform has none
    assert (s3["expected"], s3["submitted"], s3["missing"]) == (11, 1, 10)


def test_by_kind_counts_the_special_actions(reporting_client, auth, quzhou):
    row = group_keyed(rollups(reporting_client, auth, quzhou.plan_id, "kind"), "special_action")
    assert (row["items"], row["expected"], row["group"]["id"]) == (9, 40, None)


def test_a_roll_up_counts_items_per_traffic_light(reporting_client, auth, quzhou):
    view = rollups(reporting_client, auth, quzhou.plan_id, "kind", as_of="2024-05-01")
    row = group_keyed(view, "special_action")
    assert row["lights"] == {"green": 0, "yellow": 0, "red": 9, "done": 0}
    assert row["overdue"] == 40


def test_a_roll_up_counts_items_per_progress_status(reporting_client, auth, quzhou, transport):
    report = submit(
        reporting_client,
        transport["headers"],
        file_report(reporting_client, transport["headers"], quzhou.item("T9")["id"])["id"],
    )
    assert review(reporting_client, auth, report["id"], "accept").status_code == 200
    row = group_keyed(rollups(reporting_client, auth, quzhou.plan_id, "kind"), "task")
    assert row["progress"]["in_progress"] == 1
    assert sum(row["progress"].values()) == sum(row["lights"].values())


def test_a_large_plans_period_read_one_statement_at_a_time_gives_the_same_roll_up(
    reporting_client, auth, quzhou, transport, monkeypatch
):
    report = file_report(reporting_client, transport["headers"], quzhou.item("T9")["id"])
    review(reporting_client, auth, submit(reporting_client, transport["headers"], report["id"])["id"], "accept")
    side_by_side = rollups(reporting_client, auth, quzhou.plan_id, "unit", as_of="2024-05-01")
    monkeypatch.setattr(period_rows, "ONE_AT_A_TIME_RECORDS", 0)  # every plan is large
    assert rollups(reporting_client, auth, quzhou.plan_id, "unit", as_of="2024-05-01") == side_by_side


def test_items_closed_before_the_due_date_are_not_expected_but_still_counted_as_done():
    item = PlanItem(
        id=1,
        plan_id=1,
        parent_id=None,
        key="T1",
        kind="task",
        number="1",
        title="t",
        due_on=None,
        status="closed",
        closed_on=date(2024, 3, 1),
    )
    duties = [PlanAssignment(id=1, item_id=1, unit_id=5, unit_name="市交通运输局", role="lead")]
    lights = [{"item_id": 1, "light": "done", "progress_status": "closed"}]
    [row] = rollup("kind", items=[item], assignments=duties, filed=[], lights=lights, overdue=True, not_owed={1})
    assert (row["expected"], row["missing"], row["overdue"], row["items"]) == (0, 0, 0, 1)
    assert (row["lights"]["done"], row["progress"]["closed"]) == (1, 1)


def node(item_id, key, parent_id=None, kind="task"):
    return PlanItem(
        id=item_id,
        plan_id=1,
        parent_id=parent_id,
        key=key,
        kind=kind,
        number=key,
        title=key,
        due_on=None,
        status="open",
    )


def test_by_serves_groups_items_under_the_higher_level_task_they_or_their_section_serve():
    # S1 serves provincial item 90 and so does its child T1; T2 serves an external task; T3 serves nothing.
    items = [node(1, "S1", kind="section"), node(2, "T1", parent_id=1), node(3, "T2"), node(4, "T3")]
    links = [
        ItemLink(item_id=1, serves_item_id=90, reference=None, number="1", title="数字经济", plan_title="省方案"),
        ItemLink(item_id=3, serves_item_id=None, reference="浙交〔2020〕5号", number="", title="交通", plan_title=None),
    ]
    duties = [PlanAssignment(id=i, item_id=i, unit_id=5, unit_name="市发改委", role="lead") for i in (2, 3, 4)]
    lights = [{"item_id": i, "light": "green", "progress_status": "in_progress"} for i in (2, 3, 4)]
    rows = rollup("serves", items=items, assignments=duties, links=links, filed=[], lights=lights, overdue=False)
    assert [(row["group"]["id"], row["group"]["key"], row["group"]["name"], row["items"]) for row in rows] == [
        (90, None, "省方案 1 数字经济", 1),
        (None, "浙交〔2020〕5号", "交通", 1),
        (None, None, "未关联上级任务", 1),
    ]


def test_by_serves_answers_through_the_api_with_the_unlinked_group(reporting_client, auth, quzhou):
    view = rollups(reporting_client, auth, quzhou.plan_id, "serves")
    assert [row["group"]["name"] for row in view["data"]] == ["未关联上级任务"]
    assert view["data"][0]["expected"] == 152


def test_before_the_due_date_nothing_is_overdue(reporting_client, auth, quzhou):
    view = rollups(reporting_client, auth, quzhou.plan_id, "kind", as_of="2024-03-01")
    row = group_keyed(view, "special_action")
    assert (row["overdue"], row["lights"]["green"]) == (0, 9)


def test_a_report_submitted_after_a_roll_up_counts_in_the_next_one(reporting_client, auth, quzhou, transport):
    before = group_named(rollups(reporting_client, auth, quzhou.plan_id, "unit"), TRANSPORT)
    report = file_report(reporting_client, transport["headers"], quzhou.item("T9")["id"])
    submit(reporting_client, transport["headers"], report["id"])
    after = group_named(rollups(reporting_client, auth, quzhou.plan_id, "unit"), TRANSPORT)
    assert (before["submitted"], after["submitted"]) == (0, 1)


# The same day (the answer computed again), and the next day (what the lights derive from the period's rows, kept for
# the period, derived again from the new rows).
@pytest.mark.parametrize("second_day", ["2024-05-01", "2024-05-02"])
def test_a_lead_report_submitted_after_a_roll_up_changes_its_light_in_the_next_one(
    reporting_client, auth, quzhou, transport, second_day
):
    before = group_named(rollups(reporting_client, auth, quzhou.plan_id, "unit", as_of="2024-05-01"), TRANSPORT)
    report = file_report(reporting_client, transport["headers"], quzhou.item("T9")["id"])
    submit(reporting_client, transport["headers"], report["id"])
    after = group_named(rollups(reporting_client, auth, quzhou.plan_id, "unit", as_of=second_day), TRANSPORT)
    assert (before["lights"]["red"] - after["lights"]["red"], after["lights"]["green"] - before["lights"]["green"]) == (
        1,
        1,
    )


def test_a_roll_up_by_another_grouping_of_the_period_is_the_one_computed_from_nothing_kept(
    reporting_client, auth, quzhou, transport
):
    submit(
        reporting_client,
        transport["headers"],
        file_report(reporting_client, transport["headers"], quzhou.item("T9")["id"])["id"],
    )
    rollups(reporting_client, auth, quzhou.plan_id, "unit", as_of="2024-05-01")
    after_another = rollups(reporting_client, auth, quzhou.plan_id, "kind", as_of="2024-05-01")
    memo = reporting_client.app.state.rollup_memo
    reporting_client.app.state.rollup_memo = InputMemo(8)
    try:
        from_nothing = rollups(reporting_client, auth, quzhou.plan_id, "kind", as_of="2024-05-01")
    finally:
        reporting_client.app.state.rollup_memo = memo
    assert after_another == from_nothing


def test_a_unit_token_cannot_read_roll_ups(reporting_client, auth, quzhou, transport):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/rollups", params={"period": "2024-Q1"}, headers=transport["headers"]
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("role", ["office", "admin", "viewer", "service"])
def test_the_office_leaders_and_services_read_roll_ups(reporting_client, auth, quzhou, role):
    assert rollups(reporting_client, auth, quzhou.plan_id, "unit", role=role)["by"] == "unit"


def test_an_unknown_grouping_is_refused(reporting_client, auth, quzhou):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/rollups", params={"period": "2024-Q1", "by": "district"}, headers=auth("office")
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


def test_roll_ups_of_an_unknown_plan_are_404(reporting_client, auth):
    response = reporting_client.get("/v1/plans/999999/rollups", params={"period": "2024-Q1"}, headers=auth("office"))
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


def test_roll_ups_need_a_token(reporting_client, quzhou):
    response = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/rollups", params={"period": "2024-Q1"})
    assert response.status_code == 401


def test_the_whole_oversight_of_a_period_is_plain_json_for_a_snapshot(reporting_client, quzhou, transport):
    report = file_report(reporting_client, transport["headers"], quzhou.item("T9")["id"])
    submit(reporting_client, transport["headers"], report["id"])
    app = reporting_client.app

    async def compute():
        plan = await load_plan_oversight(app.state.tasks, quzhou.plan_id)
        async with app.state.database.read() as conn:
            return await oversight_of(conn, plan, "2024-Q1", date(2024, 5, 1))

    found = json.loads(json.dumps(reporting_client.portal.call(compute)))
    assert (found["compliance"]["summary"]["expected"], found["compliance"]["summary"]["submitted"]) == (152, 1)
    assert set(found["rollups"]) == {"unit", "section", "county", "group", "kind", "serves"}
    lights = {row["item_key"]: row["light"] for row in found["traffic_lights"]["data"]}
    # Every item owing 2024-Q1's report without one is red; the 2019–2020 key works owe none and stay green.
    assert lights["T9"] == "green"
    assert {k for k, light in lights.items() if light == "red"} == {k for k in lights if not k.startswith("KW")} - {
        "T9"
    }
    assert {lights[k] for k in lights if k.startswith("KW")} == {"green"}
    assert len(found["indicators"]) > 0
