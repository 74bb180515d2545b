"""Indicators (指标), milestones (节点) and lead leaders (牵头领导) of an item."""

import pytest

from tests.problems import assert_problem
from tests.tasks_api.factories import SMALL_PLAN, history, import_small_plan

INDICATOR = {
    "key": "T1-bridges",
    "name": "新建桥梁",
    "measure": "座",
    "baseline": 2,
    "target": 5,
    "comparison": ">=",
    "target_date": "2021-12-31",
    "yearly_targets": {"2020": 3, "2021": 5},
}


@pytest.fixture
def plan(tasks_client, auth):
    return import_small_plan(tasks_client, auth)


def add(client, auth, path, body, role="office"):
    return client.post(path, json=body, headers=auth(role, unit_id=1))


def read(client, auth, path):
    response = client.get(path, headers=auth("viewer"))
    assert response.status_code == 200, response.text
    return response


def patch(client, auth, path, body, etag, role="office", unit_id=None):
    return client.patch(path, json=body, headers=auth(role, unit_id=unit_id, **({"If-Match": etag} if etag else {})))


# -- indicators -------------------------------------------------------------------------------------


def test_an_items_indicators_are_listed(tasks_client, auth, plan):
    rows = read(tasks_client, auth, f"/v1/items/{plan.items['T1']}/indicators").json()["data"]
    assert [(r["key"], r["target"], r["target_date"]) for r in rows] == [("T1-km", 10, "2020-12-31")]


def test_indicators_are_paged_by_id(tasks_client, auth, plan):
    path = f"/v1/items/{plan.items['T1']}/indicators"
    add(tasks_client, auth, path, INDICATOR)
    first = tasks_client.get(path, params={"limit": 1}, headers=auth("viewer")).json()
    second = tasks_client.get(path, params={"limit": 1, "cursor": first["next_cursor"]}, headers=auth("viewer")).json()
    assert [r["key"] for r in first["data"] + second["data"]] == ["T1-km", "T1-bridges"]
    assert second["next_cursor"] is None


def test_indicators_of_an_unknown_item_are_not_found(tasks_client, auth, plan):
    assert_problem(tasks_client.get("/v1/items/999999/indicators", headers=auth("viewer")), 404)


def test_office_adds_an_indicator(tasks_client, auth, plan):
    response = add(tasks_client, auth, f"/v1/items/{plan.items['T1']}/indicators", INDICATOR)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == f"/v1/indicators/{created['id']}"
    assert response.headers["ETag"] == '"1"'
    assert created == {
        **INDICATOR,
        "yearly_targets": {"2020": 3, "2021": 5},
        "id": created["id"],
        "item_id": plan.items["T1"],
        "version": 1,
    }
    assert read(tasks_client, auth, f"/v1/indicators/{created['id']}").json() == created


def test_indicator_keys_are_unique_per_item(tasks_client, auth, plan):
    response = add(tasks_client, auth, f"/v1/items/{plan.items['T1']}/indicators", {**INDICATOR, "key": "T1-km"})
    assert_problem(response, 409)


def test_the_same_indicator_key_may_serve_another_item(tasks_client, auth, plan):
    response = add(tasks_client, auth, f"/v1/items/{plan.items['T2']}/indicators", {**INDICATOR, "key": "T1-km"})
    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {**INDICATOR, "colour": "red"},
        {**INDICATOR, "key": ""},
        {**INDICATOR, "comparison": "~"},
        {"key": "x", "name": "y"},
    ],
)
def test_a_bad_indicator_is_unprocessable(tasks_client, auth, plan, body):
    assert_problem(add(tasks_client, auth, f"/v1/items/{plan.items['T1']}/indicators", body), 422)


@pytest.mark.parametrize("role", ["unit", "viewer", "service"])
def test_adding_an_indicator_needs_the_office(tasks_client, auth, plan, role):
    assert_problem(add(tasks_client, auth, f"/v1/items/{plan.items['T1']}/indicators", INDICATOR, role), 403)


def test_adding_an_indicator_to_an_unknown_item_is_not_found(tasks_client, auth, plan):
    assert_problem(add(tasks_client, auth, "/v1/items/999999/indicators", INDICATOR), 404)


def _first_indicator(client, auth, plan):
    return read(client, auth, f"/v1/items/{plan.items['T1']}/indicators").json()["data"][0]


def test_office_changes_an_indicator_with_if_match(tasks_client, auth, plan):
    indicator = _first_indicator(tasks_client, auth, plan)
    response = patch(
        tasks_client, auth, f"/v1/indicators/{indicator['id']}", {"target": 12, "yearly_targets": {"2020": 4}}, '"1"'
    )
    assert response.status_code == 200, response.text
    assert (response.json()["target"], response.json()["yearly_targets"], response.headers["ETag"]) == (
        12,
        {"2020": 4},
        '"2"',
    )
    assert history(tasks_client, auth, "indicator", indicator["id"])[-1]["changes"]["target"] == [10, 12]


def test_changing_an_indicator_without_if_match_is_refused(tasks_client, auth, plan):
    indicator = _first_indicator(tasks_client, auth, plan)
    assert_problem(patch(tasks_client, auth, f"/v1/indicators/{indicator['id']}", {"target": 12}, None), 428)


def test_changing_a_stale_indicator_is_refused(tasks_client, auth, plan):
    indicator = _first_indicator(tasks_client, auth, plan)
    response = patch(tasks_client, auth, f"/v1/indicators/{indicator['id']}", {"target": 12}, '"7"')
    assert_problem(response, 412)
    assert response.headers["ETag"] == '"1"'


@pytest.mark.parametrize("body", [{"key": "renamed"}, {"target": None}, {"name": ""}])
def test_a_bad_indicator_change_is_unprocessable(tasks_client, auth, plan, body):
    indicator = _first_indicator(tasks_client, auth, plan)
    assert_problem(patch(tasks_client, auth, f"/v1/indicators/{indicator['id']}", body, '"1"'), 422)


@pytest.mark.parametrize("role", ["unit", "viewer"])
def test_changing_an_indicator_needs_the_office(tasks_client, auth, plan, role):
    indicator = _first_indicator(tasks_client, auth, plan)
    response = patch(
        tasks_client, auth, f"/v1/indicators/{indicator['id']}", {"target": 12}, '"1"', role, plan.units["市交通运输局"]
    )
    assert_problem(response, 403)


def test_office_deletes_an_indicator_with_if_match(tasks_client, auth, plan):
    path = f"/v1/indicators/{_first_indicator(tasks_client, auth, plan)['id']}"
    assert tasks_client.delete(path, headers=auth("office", **{"If-Match": '"1"'})).status_code == 204
    assert_problem(tasks_client.get(path, headers=auth("viewer")), 404)


@pytest.mark.parametrize(
    ("role", "if_match", "status"),
    [("office", None, 428), ("office", '"9"', 412), ("unit", '"1"', 403), ("viewer", '"1"', 403)],
)
def test_deleting_an_indicator_is_guarded(tasks_client, auth, plan, role, if_match, status):
    path = f"/v1/indicators/{_first_indicator(tasks_client, auth, plan)['id']}"
    headers = auth(role, unit_id=plan.units["市交通运输局"], **({"If-Match": if_match} if if_match else {}))
    assert_problem(tasks_client.delete(path, headers=headers), status)


def test_reading_an_indicator_needs_a_token(tasks_client, plan):
    assert_problem(tasks_client.get(f"/v1/items/{plan.items['T1']}/indicators"), 401)


# -- milestones -------------------------------------------------------------------------------------


def test_office_adds_a_milestone_whose_original_due_date_is_its_due_date(tasks_client, auth, plan):
    response = add(
        tasks_client, auth, f"/v1/items/{plan.items['T2']}/milestones", {"title": "完成验收", "due_on": "2021-06-15"}
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == f"/v1/milestones/{created['id']}"
    assert (created["due_on"], created["original_due_on"], created["done_at"]) == ("2021-06-15", "2021-06-15", None)


def test_an_items_milestones_are_listed(tasks_client, auth, plan):
    rows = read(tasks_client, auth, f"/v1/items/{plan.items['T1']}/milestones").json()["data"]
    assert [(r["title"], r["due_on"], r["original_due_on"]) for r in rows] == [("完成方案", "2020-06-30", "2020-06-30")]
    assert_problem(tasks_client.get("/v1/items/999999/milestones", headers=auth("viewer")), 404)


@pytest.mark.parametrize(
    "body",
    [{"title": "x"}, {"title": "x", "due_on": "2021-01-01", "done": True}, {"title": "", "due_on": "2021-01-01"}],
)
def test_a_bad_milestone_is_unprocessable(tasks_client, auth, plan, body):
    assert_problem(add(tasks_client, auth, f"/v1/items/{plan.items['T2']}/milestones", body), 422)


@pytest.mark.parametrize("role", ["unit", "viewer"])
def test_adding_a_milestone_needs_the_office(tasks_client, auth, plan, role):
    body = {"title": "完成验收", "due_on": "2021-06-15"}
    assert_problem(add(tasks_client, auth, f"/v1/items/{plan.items['T2']}/milestones", body, role), 403)


def milestone_path(plan, title="完成方案"):
    return f"/v1/milestones/{plan.milestones[title]}"


def test_a_milestone_is_read_with_its_etag(tasks_client, auth, plan):
    response = read(tasks_client, auth, milestone_path(plan))
    assert (response.json()["title"], response.headers["ETag"]) == ("完成方案", '"1"')
    assert_problem(tasks_client.get("/v1/milestones/999999", headers=auth("viewer")), 404)


@pytest.mark.parametrize("unit_name", ["市交通运输局", "市发改委"])
def test_a_responsible_unit_marks_a_milestone_done(tasks_client, auth, plan, unit_name):
    response = patch(tasks_client, auth, milestone_path(plan), {"done": True}, '"1"', "unit", plan.units[unit_name])
    assert response.status_code == 200, response.text
    assert response.json()["done_at"] is not None


def test_a_responsible_unit_reopens_a_milestone(tasks_client, auth, plan):
    lead = plan.units["市交通运输局"]
    patch(tasks_client, auth, milestone_path(plan), {"done": True}, '"1"', "unit", lead)
    response = patch(tasks_client, auth, milestone_path(plan), {"done": False}, '"2"', "unit", lead)
    assert response.json()["done_at"] is None


def test_marking_a_done_milestone_done_again_keeps_its_completion_time(tasks_client, auth, plan):
    done = patch(tasks_client, auth, milestone_path(plan), {"done": True}, '"1"').json()
    again = patch(tasks_client, auth, milestone_path(plan), {"done": True}, '"2"')
    assert again.json()["done_at"] == done["done_at"]
    assert again.headers["ETag"] == '"2"'


def test_a_unit_cannot_change_a_milestones_title(tasks_client, auth, plan):
    response = patch(
        tasks_client,
        auth,
        milestone_path(plan),
        {"title": "改名", "done": True},
        '"1"',
        "unit",
        plan.units["市交通运输局"],
    )
    assert_problem(response, 403)


def test_a_unit_not_responsible_for_the_item_cannot_mark_its_milestone_done(tasks_client, auth, plan):
    response = patch(tasks_client, auth, milestone_path(plan), {"done": True}, '"1"', "unit", plan.units["市水利局"])
    assert_problem(response, 403)


@pytest.mark.parametrize("role", ["viewer", "service"])
def test_viewers_and_services_cannot_change_a_milestone(tasks_client, auth, plan, role):
    assert_problem(patch(tasks_client, auth, milestone_path(plan), {"done": True}, '"1"', role), 403)


def test_office_renames_a_milestone(tasks_client, auth, plan):
    response = patch(tasks_client, auth, milestone_path(plan), {"title": "完成设计方案"}, '"1"')
    assert (response.json()["title"], response.headers["ETag"]) == ("完成设计方案", '"2"')
    assert history(tasks_client, auth, "milestone", plan.milestones["完成方案"])[-1]["changes"] == {
        "title": ["完成方案", "完成设计方案"]
    }


@pytest.mark.parametrize("body", [{"due_on": "2022-01-01"}, {"done": None}, {"title": None}])
def test_a_bad_milestone_change_is_unprocessable(tasks_client, auth, plan, body):
    assert_problem(patch(tasks_client, auth, milestone_path(plan), body, '"1"'), 422)


def test_changing_a_milestone_without_if_match_is_refused(tasks_client, auth, plan):
    assert_problem(patch(tasks_client, auth, milestone_path(plan), {"done": True}, None), 428)


def test_changing_a_stale_milestone_is_refused(tasks_client, auth, plan):
    assert_problem(patch(tasks_client, auth, milestone_path(plan), {"done": True}, '"5"'), 412)


def test_office_deletes_a_milestone_with_if_match(tasks_client, auth, plan):
    path = milestone_path(plan)
    assert tasks_client.delete(path, headers=auth("office", **{"If-Match": '"1"'})).status_code == 204
    assert_problem(tasks_client.get(path, headers=auth("viewer")), 404)


@pytest.mark.parametrize(
    ("role", "if_match", "status"), [("office", None, 428), ("office", '"3"', 412), ("unit", '"1"', 403)]
)
def test_deleting_a_milestone_is_guarded(tasks_client, auth, plan, role, if_match, status):
    headers = auth(role, unit_id=plan.units["市交通运输局"], **({"If-Match": if_match} if if_match else {}))
    assert_problem(tasks_client.delete(milestone_path(plan), headers=headers), status)


# -- lead leaders (牵头领导) -------------------------------------------------------------------------


def leaders_of(client, auth, item_id, **params):
    return client.get(f"/v1/items/{item_id}/leaders", params=params, headers=auth("viewer"))


def test_an_items_lead_leaders_are_listed(tasks_client, auth, plan):
    rows = leaders_of(tasks_client, auth, plan.items["T1"]).json()["data"]
    assert rows == [{"leader_id": plan.leaders["张三"], "name": "张三", "title": "副市长", "position": 0}]


def test_office_names_a_second_lead_leader_after_the_first(tasks_client, auth, plan):
    response = add(tasks_client, auth, f"/v1/items/{plan.items['T1']}/leaders", {"leader_id": plan.leaders["李四"]})
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/v1/items/{plan.items['T1']}/leaders/{plan.leaders['李四']}"
    assert response.json()["position"] == 1
    first = leaders_of(tasks_client, auth, plan.items["T1"], limit=1).json()
    second = leaders_of(tasks_client, auth, plan.items["T1"], limit=1, cursor=first["next_cursor"]).json()
    assert [r["name"] for r in first["data"] + second["data"]] == ["张三", "李四"]
    assert read(tasks_client, auth, response.headers["Location"]).json() == response.json()


def test_a_named_lead_leader_shows_on_the_item(tasks_client, auth, plan):
    add(tasks_client, auth, f"/v1/items/{plan.items['T1']}/leaders", {"leader_id": plan.leaders["李四"]})
    detail = tasks_client.get(f"/v1/items/{plan.items['T1']}", headers=auth("viewer")).json()
    assert [leader["name"] for leader in detail["lead_leaders"]] == ["张三", "李四"]


def test_a_leader_cannot_lead_an_item_twice(tasks_client, auth, plan):
    response = add(tasks_client, auth, f"/v1/items/{plan.items['T1']}/leaders", {"leader_id": plan.leaders["张三"]})
    assert_problem(response, 409)


@pytest.mark.parametrize("body", [{"leader_id": 999999}, {"leader_id": 1, "position": 0}, {}])
def test_naming_a_bad_lead_leader_is_unprocessable(tasks_client, auth, plan, body):
    assert_problem(add(tasks_client, auth, f"/v1/items/{plan.items['T1']}/leaders", body), 422)


@pytest.mark.parametrize("role", ["unit", "viewer"])
def test_naming_a_lead_leader_needs_the_office(tasks_client, auth, plan, role):
    body = {"leader_id": plan.leaders["李四"]}
    assert_problem(add(tasks_client, auth, f"/v1/items/{plan.items['T1']}/leaders", body, role), 403)


def test_office_removes_a_lead_leader(tasks_client, auth, plan):
    path = f"/v1/items/{plan.items['T1']}/leaders/{plan.leaders['张三']}"
    assert_problem(tasks_client.delete(path, headers=auth("unit", unit_id=plan.units["市交通运输局"])), 403)
    assert tasks_client.delete(path, headers=auth("office")).status_code == 204
    assert leaders_of(tasks_client, auth, plan.items["T1"]).json()["data"] == []
    assert_problem(tasks_client.delete(path, headers=auth("office")), 404)


def test_lead_leaders_of_an_unknown_item_are_not_found(tasks_client, auth, plan):
    assert_problem(leaders_of(tasks_client, auth, 999999), 404)
    assert_problem(
        tasks_client.get(f"/v1/items/{plan.items['T3']}/leaders/{plan.leaders['张三']}", headers=auth("viewer")), 404
    )


def test_lead_leaders_need_a_token(tasks_client, plan):
    assert_problem(tasks_client.get(f"/v1/items/{plan.items['T1']}/leaders"), 401)


def test_a_plan_lists_all_its_indicators_across_items(quzhou_client, auth, quzhou_plan_id):
    rows = quzhou_client.get(
        f"/v1/plans/{quzhou_plan_id}/indicators", params={"limit": 500}, headers=auth("viewer")
    ).json()["data"]
    assert len(rows) == 32
    assert {"T9-expressway-km", "T3-major-industrial-projects"} <= {r["key"] for r in rows}


def test_a_plan_lists_the_lead_leaders_of_its_items(quzhou_client, auth, quzhou_plan_id):
    rows = quzhou_client.get(
        f"/v1/plans/{quzhou_plan_id}/item-leaders", params={"limit": 500}, headers=auth("viewer")
    ).json()["data"]
    assert len(rows) == 13
    assert {"陈锦标", "王良春"} <= {r["name"] for r in rows}


def test_a_later_plans_lead_leaders_start_at_its_own_first_pair(tasks_client, auth, plan):
    again = {**SMALL_PLAN, "plan": {**SMALL_PLAN["plan"], "key": "later-plan"}}
    later = tasks_client.post("/v1/plans/import", json=again, headers=auth("office")).json()["plan_id"]
    ours, theirs = (
        tasks_client.get(f"/v1/plans/{plan_id}/item-leaders", headers=auth("viewer")).json()["data"]
        for plan_id in (plan.plan_id, later)
    )
    assert ours and len(theirs) == len(ours)
    assert not {row["item_id"] for row in theirs} & set(plan.items.values())
