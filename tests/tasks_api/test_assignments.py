"""Responsibilities (责任分工, 交办), their acknowledgement (签收) and the assignment lists of units and plans."""

import pytest

from tests.problems import assert_problem
from tests.tasks_api.factories import SMALL_PLAN, history, import_small_plan


@pytest.fixture
def plan(tasks_client, auth):
    return import_small_plan(tasks_client, auth)


def duties_of(client, auth, item_id, **params):
    return client.get(f"/v1/items/{item_id}/responsibilities", params=params, headers=auth("viewer"))


def assign(client, auth, item_id, **body):
    return client.post(f"/v1/items/{item_id}/responsibilities", json=body, headers=auth("office"))


def acknowledge(client, headers, responsibility_id):
    return client.post(f"/v1/responsibilities/{responsibility_id}/acknowledgement", headers=headers)


def assignment_ids(response):
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["data"]]


# -- listing responsibilities -----------------------------------------------------------------------


def test_responsibilities_of_an_item_are_listed_in_printed_order_with_unit_names(tasks_client, auth, plan):
    rows = duties_of(tasks_client, auth, plan.items["T1"]).json()["data"]
    assert [(r["unit_name"], r["role"], r["position"]) for r in rows] == [
        ("市交通运输局", "lead", 0),
        ("市发改委", "co", 1),
    ]
    assert rows[0]["assigned_at"] and rows[0]["acknowledged_at"] is None


def test_responsibilities_are_paged_in_printed_order(tasks_client, auth, plan):
    first = duties_of(tasks_client, auth, plan.items["T1"], limit=1).json()
    second = duties_of(tasks_client, auth, plan.items["T1"], limit=1, cursor=first["next_cursor"]).json()
    assert [r["unit_name"] for r in first["data"] + second["data"]] == ["市交通运输局", "市发改委"]
    assert second["next_cursor"] is None


def test_responsibilities_refuse_a_cursor_they_did_not_issue(tasks_client, auth, plan):
    assert_problem(duties_of(tasks_client, auth, plan.items["T1"], cursor="WzFd"), 400)


def test_listing_responsibilities_needs_a_token(tasks_client, plan):
    assert_problem(tasks_client.get(f"/v1/items/{plan.items['T1']}/responsibilities"), 401)


def test_responsibilities_of_an_unknown_item_are_not_found(tasks_client, auth, plan):
    assert_problem(duties_of(tasks_client, auth, 999999), 404)


def test_one_responsibility_can_be_read(tasks_client, auth, plan):
    found = tasks_client.get(f"/v1/responsibilities/{plan.responsibilities['T2', '市水利局']}", headers=auth("unit", 1))
    assert found.json()["unit_name"] == "市水利局"
    assert_problem(tasks_client.get("/v1/responsibilities/999999", headers=auth("viewer")), 404)


# -- assigning (交办) --------------------------------------------------------------------------------


def test_office_assigns_an_item_to_a_co_operating_unit(tasks_client, auth, plan):
    response = assign(tasks_client, auth, plan.items["T2"], unit_id=plan.units["市发改委"], role="co")
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == f"/v1/responsibilities/{created['id']}"
    assert (created["unit_name"], created["role"], created["position"]) == ("市发改委", "co", 1)
    assert created["assigned_at"] and created["acknowledged_at"] is None
    assert [c["action"] for c in history(tasks_client, auth, "responsibility", created["id"])] == ["create"]


def test_assigning_at_a_position_keeps_it(tasks_client, auth, plan):
    created = assign(tasks_client, auth, plan.items["T2"], unit_id=plan.units["市发改委"], role="co", position=7)
    assert created.json()["position"] == 7


@pytest.mark.parametrize("role", ["viewer", "service", "unit"])
def test_assigning_needs_the_office(tasks_client, auth, plan, role):
    response = tasks_client.post(
        f"/v1/items/{plan.items['T2']}/responsibilities",
        headers=auth(role, unit_id=3),
        json={"unit_id": plan.units["市发改委"], "role": "co"},
    )
    assert_problem(response, 403)


def test_assigning_needs_a_token(tasks_client, plan):
    response = tasks_client.post(f"/v1/items/{plan.items['T2']}/responsibilities", json={"unit_id": 1, "role": "co"})
    assert_problem(response, 401)


def test_an_item_cannot_get_a_second_lead_unit(tasks_client, auth, plan):
    response = assign(tasks_client, auth, plan.items["T2"], unit_id=plan.units["市发改委"], role="lead")
    assert_problem(response, 409)


def test_the_same_unit_cannot_be_assigned_twice(tasks_client, auth, plan):
    response = assign(tasks_client, auth, plan.items["T1"], unit_id=plan.units["市发改委"], role="co")
    assert_problem(response, 409)


def test_assigning_an_unknown_unit_is_unprocessable(tasks_client, auth, plan):
    assert_problem(assign(tasks_client, auth, plan.items["T1"], unit_id=999999, role="co"), 422)


@pytest.mark.parametrize(
    "body",
    [
        {"unit_id": 3, "role": "boss"},
        {"unit_id": 3, "role": "co", "note": "x"},
        {"role": "co"},
        {"unit_id": 3, "role": "co", "position": -1},
    ],
)
def test_assigning_with_a_bad_body_is_unprocessable(tasks_client, auth, plan, body):
    assert_problem(assign(tasks_client, auth, plan.items["T1"], **body), 422)


def test_assigning_to_an_unknown_item_is_not_found(tasks_client, auth, plan):
    assert_problem(assign(tasks_client, auth, 999999, unit_id=plan.units["市发改委"], role="co"), 404)


def test_office_withdraws_an_assignment(tasks_client, auth, plan):
    duty = plan.responsibilities["T1", "市发改委"]
    response = tasks_client.delete(f"/v1/items/{plan.items['T1']}/responsibilities/{duty}", headers=auth("office"))
    assert response.status_code == 204
    assert [r["unit_name"] for r in duties_of(tasks_client, auth, plan.items["T1"]).json()["data"]] == ["市交通运输局"]
    assert [c["action"] for c in history(tasks_client, auth, "responsibility", duty)][-1] == "delete"


def test_withdrawing_an_assignment_of_another_item_is_not_found(tasks_client, auth, plan):
    duty = plan.responsibilities["T2", "市水利局"]
    response = tasks_client.delete(f"/v1/items/{plan.items['T1']}/responsibilities/{duty}", headers=auth("office"))
    assert_problem(response, 404)


@pytest.mark.parametrize("role", ["viewer", "service", "unit"])
def test_withdrawing_an_assignment_needs_the_office(tasks_client, auth, plan, role):
    duty = plan.responsibilities["T1", "市发改委"]
    response = tasks_client.delete(
        f"/v1/items/{plan.items['T1']}/responsibilities/{duty}", headers=auth(role, unit_id=plan.units["市交通运输局"])
    )
    assert_problem(response, 403)


# -- acknowledgement (签收) --------------------------------------------------------------------------


def test_unit_acknowledges_its_assignment(tasks_client, auth, plan):
    duty = plan.responsibilities["T1", "市发改委"]
    response = acknowledge(tasks_client, auth("unit", unit_id=plan.units["市发改委"]), duty)
    assert response.status_code == 200, response.text
    assert response.json()["acknowledged_at"] is not None
    assert response.json()["acknowledged_by"] == f"test-unit-{plan.units['市发改委']}"
    assert "acknowledged_at" in history(tasks_client, auth, "responsibility", duty)[-1]["changes"]


def test_acknowledging_twice_returns_the_same_record_unchanged(tasks_client, auth, plan):
    duty, unit = plan.responsibilities["T1", "市发改委"], auth("unit", unit_id=plan.units["市发改委"])
    first = acknowledge(tasks_client, unit, duty).json()
    second = acknowledge(tasks_client, unit, duty)
    assert second.status_code == 200
    assert second.json() == first
    assert len(history(tasks_client, auth, "responsibility", duty)) == 2  # the import's create and one acknowledgement


def test_unit_cannot_acknowledge_another_units_assignment(tasks_client, auth, plan):
    response = acknowledge(
        tasks_client, auth("unit", unit_id=plan.units["市水利局"]), plan.responsibilities["T1", "市发改委"]
    )
    assert_problem(response, 403)


def test_office_acknowledges_on_behalf_of_a_unit(tasks_client, auth, plan):
    response = acknowledge(tasks_client, auth("office"), plan.responsibilities["T1", "市发改委"])
    assert response.json()["acknowledged_by"] == "test-office-0"


@pytest.mark.parametrize("role", ["viewer", "service"])
def test_viewers_and_services_cannot_acknowledge(tasks_client, auth, plan, role):
    assert_problem(acknowledge(tasks_client, auth(role), plan.responsibilities["T1", "市发改委"]), 403)


def test_acknowledging_needs_a_token(tasks_client, plan):
    assert_problem(acknowledge(tasks_client, {}, plan.responsibilities["T1", "市发改委"]), 401)


def test_acknowledging_an_unknown_assignment_is_not_found(tasks_client, auth, plan):
    assert_problem(acknowledge(tasks_client, auth("office"), 999999), 404)


# -- assignment lists -------------------------------------------------------------------------------


def test_unacknowledged_list_of_a_unit_shrinks_after_acknowledgement(tasks_client, auth, plan):
    unit_id = plan.units["市发改委"]
    unit = auth("unit", unit_id=unit_id)
    url = f"/v1/units/{unit_id}/assignments"
    expected = [plan.responsibilities["T1", "市发改委"], plan.responsibilities["T3", "市发改委"]]
    assert assignment_ids(tasks_client.get(url, params={"acknowledged": "false"}, headers=unit)) == expected
    acknowledge(tasks_client, unit, expected[0])
    assert assignment_ids(tasks_client.get(url, params={"acknowledged": "false"}, headers=unit)) == expected[1:]
    assert assignment_ids(tasks_client.get(url, params={"acknowledged": "true"}, headers=unit)) == expected[:1]


def test_unacknowledged_list_of_a_plan_shrinks_after_acknowledgement(tasks_client, auth, plan):
    url, unacknowledged = f"/v1/plans/{plan.plan_id}/assignments", {"acknowledged": "false"}
    before = assignment_ids(tasks_client.get(url, params=unacknowledged, headers=auth("office")))
    assert before == sorted(plan.responsibilities.values())
    acknowledge(tasks_client, auth("unit", unit_id=plan.units["市水利局"]), plan.responsibilities["T2", "市水利局"])
    after = assignment_ids(tasks_client.get(url, params=unacknowledged, headers=auth("office")))
    assert after == [i for i in before if i != plan.responsibilities["T2", "市水利局"]]


def test_assignment_rows_name_the_item_and_the_unit(tasks_client, auth, plan):
    rows = tasks_client.get(f"/v1/units/{plan.units['市水利局']}/assignments", headers=auth("viewer")).json()["data"]
    assert rows == [
        {
            **rows[0],
            "item_id": plan.items["T2"],
            "plan_id": plan.plan_id,
            "item_key": "T2",
            "item_number": "2",
            "item_title": "治理河道",
            "unit_name": "市水利局",
            "role": "lead",
            "acknowledged_at": None,
        }
    ]
    assert rows[0]["assigned_at"]


def test_assignment_lists_filter_by_plan(tasks_client, auth, plan):
    url = f"/v1/units/{plan.units['市发改委']}/assignments"
    assert len(assignment_ids(tasks_client.get(url, params={"plan_id": plan.plan_id}, headers=auth("office")))) == 2
    assert assignment_ids(tasks_client.get(url, params={"plan_id": 999999}, headers=auth("office"))) == []


def test_assignment_lists_are_paged_by_id(tasks_client, auth, plan):
    url, seen, cursor = f"/v1/plans/{plan.plan_id}/assignments", [], None
    while True:
        page = tasks_client.get(
            url, params={"limit": 1, **({"cursor": cursor} if cursor else {})}, headers=auth("office")
        ).json()
        seen += [row["id"] for row in page["data"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == sorted(plan.responsibilities.values())


def test_a_later_plans_assignments_start_at_its_own_first_duty(tasks_client, auth, plan):
    again = {**SMALL_PLAN, "plan": {**SMALL_PLAN["plan"], "key": "later-plan"}}
    later = tasks_client.post("/v1/plans/import", json=again, headers=auth("office")).json()["plan_id"]
    # A duty added to the first plan now has an id above every duty of the later plan.
    added = assign(tasks_client, auth, plan.items["T2"], unit_id=plan.units["市发改委"], role="co").json()["id"]
    theirs = assignment_ids(tasks_client.get(f"/v1/plans/{later}/assignments", headers=auth("office")))
    ours = assignment_ids(tasks_client.get(f"/v1/plans/{plan.plan_id}/assignments", headers=auth("office")))
    assert len(theirs) == len(plan.responsibilities) and min(theirs) > max(plan.responsibilities.values())
    assert ours == sorted([*plan.responsibilities.values(), added])


def test_unit_cannot_list_another_units_assignments(tasks_client, auth, plan):
    response = tasks_client.get(
        f"/v1/units/{plan.units['市水利局']}/assignments", headers=auth("unit", unit_id=plan.units["市发改委"])
    )
    assert_problem(response, 403)


def test_unit_sees_only_its_own_rows_of_a_plans_assignments(tasks_client, auth, plan):
    rows = tasks_client.get(
        f"/v1/plans/{plan.plan_id}/assignments", headers=auth("unit", unit_id=plan.units["市发改委"])
    ).json()["data"]
    assert {row["unit_name"] for row in rows} == {"市发改委"}
    assert len(rows) == 2


def test_unit_asking_a_plans_assignments_of_another_unit_is_forbidden(tasks_client, auth, plan):
    response = tasks_client.get(
        f"/v1/plans/{plan.plan_id}/assignments",
        params={"unit_id": plan.units["市水利局"]},
        headers=auth("unit", unit_id=plan.units["市发改委"]),
    )
    assert_problem(response, 403)


def test_office_filters_a_plans_assignments_by_unit(tasks_client, auth, plan):
    response = tasks_client.get(
        f"/v1/plans/{plan.plan_id}/assignments", params={"unit_id": plan.units["市水利局"]}, headers=auth("office")
    )
    assert assignment_ids(response) == [plan.responsibilities["T2", "市水利局"]]


@pytest.mark.parametrize("path", ["/v1/units/999999/assignments", "/v1/plans/999999/assignments"])
def test_assignments_of_an_unknown_unit_or_plan_are_not_found(tasks_client, auth, plan, path):
    assert_problem(tasks_client.get(path, headers=auth("office")), 404)


@pytest.mark.parametrize("params", [{"acknowledged": "maybe"}, {"limit": 0}])
def test_assignment_lists_refuse_bad_filters(tasks_client, auth, plan, params):
    response = tasks_client.get(f"/v1/plans/{plan.plan_id}/assignments", params=params, headers=auth("office"))
    assert_problem(response, 422)


def test_assignment_lists_refuse_unknown_query_fields(tasks_client, auth, plan):
    response = tasks_client.get(
        f"/v1/plans/{plan.plan_id}/assignments", params={"colour": "red"}, headers=auth("office")
    )
    assert_problem(response, 400)


def test_assignment_lists_need_a_token(tasks_client, plan):
    assert_problem(tasks_client.get(f"/v1/units/{plan.units['市水利局']}/assignments"), 401)
