"""Deadline extension requests (延期申请): a responsible unit asks, the office decides, the due date moves."""

import pytest

from tests.problems import assert_problem
from tests.tasks_api.factories import history, import_small_plan


@pytest.fixture
def plan(tasks_client, auth):
    return import_small_plan(tasks_client, auth)


def unit(auth, plan, name):
    return auth("unit", unit_id=plan.units[name])


def ask(client, headers, item_id, **body):
    return client.post(f"/v1/items/{item_id}/extensions", json={"reason": "征地延误", **body}, headers=headers)


def decide(client, auth, extension_id, approve, role="office", **body):
    return client.post(f"/v1/extensions/{extension_id}/decision", json={"approve": approve, **body}, headers=auth(role))


def item(client, auth, item_id):
    return client.get(f"/v1/items/{item_id}", headers=auth("viewer")).json()


# -- the whole flow ---------------------------------------------------------------------------------


def test_unit_requests_office_approves_and_the_items_due_date_moves(tasks_client, auth, plan):
    asked = ask(tasks_client, unit(auth, plan, "市发改委"), plan.items["T1"], requested_due_on="2021-03-31")
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert asked.headers["Location"] == f"/v1/extensions/{request['id']}"
    assert (request["status"], request["unit_id"], request["previous_due_on"]) == (
        "pending",
        plan.units["市发改委"],
        "2020-12-31",
    )
    decided = decide(tasks_client, auth, request["id"], True, comment="同意")
    assert decided.status_code == 200, decided.text
    decision = decided.json()
    assert (decision["status"], decision["decided_by"], decision["decision_comment"]) == (
        "approved",
        "test-office-0",
        "同意",
    )
    assert decision["decided_at"] is not None
    moved = item(tasks_client, auth, plan.items["T1"])
    assert (moved["due_on"], moved["original_due_on"]) == ("2021-03-31", "2020-12-31")
    changes = history(tasks_client, auth, "item", plan.items["T1"])[-1]
    assert (changes["actor"], changes["changes"]) == ("test-office-0", {"due_on": ["2020-12-31", "2021-03-31"]})


def test_approving_a_milestone_extension_moves_the_milestone_and_keeps_its_original_date(tasks_client, auth, plan):
    milestone_id = plan.milestones["完成方案"]
    request = ask(
        tasks_client,
        unit(auth, plan, "市交通运输局"),
        plan.items["T1"],
        milestone_id=milestone_id,
        requested_due_on="2020-09-30",
    ).json()
    assert request["previous_due_on"] == "2020-06-30"
    decide(tasks_client, auth, request["id"], True)
    milestone = tasks_client.get(f"/v1/milestones/{milestone_id}", headers=auth("viewer")).json()
    assert (milestone["due_on"], milestone["original_due_on"]) == ("2020-09-30", "2020-06-30")
    assert item(tasks_client, auth, plan.items["T1"])["due_on"] == "2020-12-31"
    assert history(tasks_client, auth, "milestone", milestone_id)[-1]["changes"] == {
        "due_on": ["2020-06-30", "2020-09-30"]
    }


def test_rejection_leaves_the_due_date(tasks_client, auth, plan):
    request = ask(tasks_client, unit(auth, plan, "市发改委"), plan.items["T1"], requested_due_on="2021-03-31").json()
    rejected = decide(tasks_client, auth, request["id"], False, comment="理由不充分")
    assert (rejected.json()["status"], rejected.json()["decision_comment"]) == ("rejected", "理由不充分")
    assert item(tasks_client, auth, plan.items["T1"])["due_on"] == "2020-12-31"


def test_the_decision_is_in_the_requests_history(tasks_client, auth, plan):
    request = ask(tasks_client, unit(auth, plan, "市发改委"), plan.items["T1"], requested_due_on="2021-03-31").json()
    decide(tasks_client, auth, request["id"], False)
    changes = history(tasks_client, auth, "extension", request["id"])
    assert [c["action"] for c in changes] == ["create", "update"]
    assert changes[-1]["changes"]["status"] == ["pending", "rejected"]


def test_a_new_request_may_follow_a_decided_one(tasks_client, auth, plan):
    headers = unit(auth, plan, "市发改委")
    first = ask(tasks_client, headers, plan.items["T1"], requested_due_on="2021-03-31").json()
    decide(tasks_client, auth, first["id"], False)
    assert ask(tasks_client, headers, plan.items["T1"], requested_due_on="2021-01-31").status_code == 201


# -- who may ask ------------------------------------------------------------------------------------


def test_unit_of_another_item_cannot_request_an_extension(tasks_client, auth, plan):
    response = ask(tasks_client, unit(auth, plan, "市水利局"), plan.items["T1"], requested_due_on="2021-03-31")
    assert_problem(response, 403)


@pytest.mark.parametrize("role", ["viewer", "service"])
def test_viewers_and_services_cannot_request_an_extension(tasks_client, auth, plan, role):
    assert_problem(ask(tasks_client, auth(role), plan.items["T1"], requested_due_on="2021-03-31"), 403)


def test_requesting_an_extension_needs_a_token(tasks_client, plan):
    assert_problem(ask(tasks_client, {}, plan.items["T1"], requested_due_on="2021-03-31"), 401)


def test_office_may_file_a_request_itself(tasks_client, auth, plan):
    response = ask(tasks_client, auth("office"), plan.items["T2"], requested_due_on="2021-12-31")
    assert response.status_code == 201
    assert (response.json()["unit_id"], response.json()["requested_by"]) == (None, "test-office-0")


# -- what may be asked ------------------------------------------------------------------------------


@pytest.mark.parametrize("requested", ["2020-12-31", "2020-11-30"])
def test_the_requested_date_must_be_later_than_the_current_one(tasks_client, auth, plan, requested):
    assert_problem(ask(tasks_client, auth("office"), plan.items["T1"], requested_due_on=requested), 422)


def test_a_milestone_of_another_item_is_unprocessable(tasks_client, auth, plan):
    response = ask(
        tasks_client,
        auth("office"),
        plan.items["T1"],
        milestone_id=plan.milestones["完成清淤"],
        requested_due_on="2021-12-31",
    )
    assert_problem(response, 422)


def test_an_item_without_a_due_date_cannot_be_extended(tasks_client, auth, plan):
    assert_problem(ask(tasks_client, auth("office"), plan.items["T3"], requested_due_on="2021-12-31"), 422)


@pytest.mark.parametrize(
    "body",
    [
        {"requested_due_on": "2021-03-31", "reason": ""},
        {"requested_due_on": "someday"},
        {"requested_due_on": "2021-03-31", "status": "approved"},
    ],
)
def test_a_bad_request_body_is_unprocessable(tasks_client, auth, plan, body):
    assert_problem(ask(tasks_client, auth("office"), plan.items["T1"], **body), 422)


def test_requesting_for_an_unknown_item_is_not_found(tasks_client, auth, plan):
    assert_problem(ask(tasks_client, auth("office"), 999999, requested_due_on="2021-03-31"), 404)


def test_only_one_request_per_due_date_may_be_pending(tasks_client, auth, plan):
    headers = unit(auth, plan, "市发改委")
    ask(tasks_client, headers, plan.items["T1"], requested_due_on="2021-03-31")
    assert_problem(ask(tasks_client, headers, plan.items["T1"], requested_due_on="2021-06-30"), 409)


def test_the_items_and_its_milestones_due_dates_are_requested_separately(tasks_client, auth, plan):
    headers = unit(auth, plan, "市发改委")
    ask(tasks_client, headers, plan.items["T1"], requested_due_on="2021-03-31")
    other = ask(
        tasks_client, headers, plan.items["T1"], milestone_id=plan.milestones["完成方案"], requested_due_on="2020-08-31"
    )
    assert other.status_code == 201


# -- deciding ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["unit", "viewer", "service"])
def test_only_the_office_decides(tasks_client, auth, plan, role):
    request = ask(tasks_client, auth("office"), plan.items["T1"], requested_due_on="2021-03-31").json()
    response = tasks_client.post(
        f"/v1/extensions/{request['id']}/decision",
        json={"approve": True},
        headers=auth(role, unit_id=plan.units["市交通运输局"]),
    )
    assert_problem(response, 403)


def test_a_decided_request_cannot_be_decided_again(tasks_client, auth, plan):
    request = ask(tasks_client, auth("office"), plan.items["T1"], requested_due_on="2021-03-31").json()
    decide(tasks_client, auth, request["id"], False)
    assert_problem(decide(tasks_client, auth, request["id"], True), 409)
    assert item(tasks_client, auth, plan.items["T1"])["due_on"] == "2020-12-31"


def test_deciding_an_unknown_request_is_not_found(tasks_client, auth, plan):
    assert_problem(decide(tasks_client, auth, 999999, True), 404)


def test_a_decision_without_approve_is_unprocessable(tasks_client, auth, plan):
    request = ask(tasks_client, auth("office"), plan.items["T1"], requested_due_on="2021-03-31").json()
    response = tasks_client.post(
        f"/v1/extensions/{request['id']}/decision", json={"comment": "?"}, headers=auth("office")
    )
    assert_problem(response, 422)


# -- reading ----------------------------------------------------------------------------------------


def test_a_request_is_read_with_its_etag(tasks_client, auth, plan):
    request = ask(tasks_client, auth("office"), plan.items["T1"], requested_due_on="2021-03-31").json()
    response = tasks_client.get(f"/v1/extensions/{request['id']}", headers=auth("viewer"))
    assert response.json() == request
    assert response.headers["ETag"] == '"1"'
    assert_problem(tasks_client.get("/v1/extensions/999999", headers=auth("viewer")), 404)


def test_another_units_request_is_404_to_a_unit_as_if_it_did_not_exist(tasks_client, auth, plan):
    request = ask(tasks_client, unit(auth, plan, "市发改委"), plan.items["T1"], requested_due_on="2021-03-31").json()
    assert_problem(tasks_client.get(f"/v1/extensions/{request['id']}", headers=unit(auth, plan, "市水利局")), 404)
    assert tasks_client.get(f"/v1/extensions/{request['id']}", headers=unit(auth, plan, "市发改委")).status_code == 200


def _file_three_requests(client, auth, plan):
    """T1 by 市发改委 (then approved), T2 by 市水利局, T1's milestone by the office."""
    first = ask(client, unit(auth, plan, "市发改委"), plan.items["T1"], requested_due_on="2021-03-31").json()
    decide(client, auth, first["id"], True)
    second = ask(client, unit(auth, plan, "市水利局"), plan.items["T2"], requested_due_on="2021-12-31").json()
    third = ask(
        client,
        auth("office"),
        plan.items["T1"],
        milestone_id=plan.milestones["完成方案"],
        requested_due_on="2020-07-31",
    ).json()
    return first["id"], second["id"], third["id"]


def listed(client, headers, url="/v1/extensions", **params):
    response = client.get(url, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["data"]]


def test_requests_are_listed_by_status_and_plan(tasks_client, auth, plan):
    first, second, third = _file_three_requests(tasks_client, auth, plan)
    office = auth("office")
    assert listed(tasks_client, office) == [first, second, third]
    assert listed(tasks_client, office, status="pending") == [second, third]
    assert listed(tasks_client, office, status="approved", plan_id=plan.plan_id) == [first]
    assert listed(tasks_client, office, plan_id=999999) == []
    assert listed(tasks_client, office, unit_id=plan.units["市水利局"]) == [second]


def test_a_unit_lists_only_its_own_requests(tasks_client, auth, plan):
    first, _, _ = _file_three_requests(tasks_client, auth, plan)
    assert listed(tasks_client, unit(auth, plan, "市发改委")) == [first]
    assert listed(tasks_client, unit(auth, plan, "市发改委"), f"/v1/items/{plan.items['T1']}/extensions") == [first]


def test_a_unit_asking_for_another_units_requests_is_forbidden(tasks_client, auth, plan):
    response = tasks_client.get(
        "/v1/extensions", params={"unit_id": plan.units["市水利局"]}, headers=unit(auth, plan, "市发改委")
    )
    assert_problem(response, 403)


def test_an_items_requests_are_listed_and_paged(tasks_client, auth, plan):
    first, _, third = _file_three_requests(tasks_client, auth, plan)
    url = f"/v1/items/{plan.items['T1']}/extensions"
    page = tasks_client.get(url, params={"limit": 1}, headers=auth("viewer")).json()
    assert [row["id"] for row in page["data"]] == [first]
    assert listed(tasks_client, auth("viewer"), url, cursor=page["next_cursor"]) == [third]


def test_requests_of_an_unknown_item_are_not_found(tasks_client, auth, plan):
    assert_problem(tasks_client.get("/v1/items/999999/extensions", headers=auth("viewer")), 404)


@pytest.mark.parametrize(
    ("params", "status"), [({"status": "lost"}, 422), ({"colour": "red"}, 400), ({"cursor": "!!"}, 400)]
)
def test_the_request_list_refuses_bad_query_fields(tasks_client, auth, plan, params, status):
    assert_problem(tasks_client.get("/v1/extensions", params=params, headers=auth("viewer")), status)


def test_the_request_list_needs_a_token(tasks_client, plan):
    assert_problem(tasks_client.get("/v1/extensions"), 401)


def etag_of(client, auth, item_id):
    return client.get(f"/v1/items/{item_id}", headers=auth("office")).headers["ETag"]


def test_a_request_whose_due_date_moved_since_is_not_approved(tasks_client, auth, plan):
    """The office set a later date meanwhile: approving the older request would pull the deadline back (409)."""
    item_id = plan.items["T1"]
    request = ask(tasks_client, unit(auth, plan, "市发改委"), item_id, requested_due_on="2021-03-31").json()
    moved = tasks_client.patch(
        f"/v1/items/{item_id}",
        json={"due_on": "2021-06-30"},
        headers=auth("office", **{"If-Match": etag_of(tasks_client, auth, item_id)}),
    )
    assert moved.status_code == 200, moved.text
    assert_problem(decide(tasks_client, auth, request["id"], True), 409)
    assert item(tasks_client, auth, item_id)["due_on"] == "2021-06-30"
    assert decide(tasks_client, auth, request["id"], False).status_code == 200  # it may still be rejected


def close_out(client, auth, plan, key, lead):
    item_id = plan.items[key]
    closeout = client.post(
        f"/v1/items/{item_id}/closeout",
        json={"summary": "已完成"},
        headers={**lead, "If-Match": etag_of(client, auth, item_id)},
    ).json()
    approved = client.post(
        f"/v1/closeouts/{closeout['id']}/decision",
        json={"approve": True},
        headers=auth("office", **{"If-Match": '"1"'}),
    )
    assert approved.status_code == 200, approved.text


def test_a_closed_item_takes_no_extension_request(tasks_client, auth, plan):
    lead = unit(auth, plan, "市水利局")
    close_out(tasks_client, auth, plan, "T2", lead)
    assert_problem(ask(tasks_client, lead, plan.items["T2"], requested_due_on="2022-12-31"), 409)


def test_a_request_filed_before_the_close_out_is_not_approved_on_the_closed_item(tasks_client, auth, plan):
    lead = unit(auth, plan, "市水利局")
    pending = ask(tasks_client, lead, plan.items["T2"], requested_due_on="2021-12-31").json()
    close_out(tasks_client, auth, plan, "T2", lead)
    due_on = item(tasks_client, auth, plan.items["T2"])["due_on"]
    assert_problem(decide(tasks_client, auth, pending["id"], True), 409)
    assert item(tasks_client, auth, plan.items["T2"])["due_on"] == due_on


def test_a_decision_sent_with_a_stale_if_match_is_412_and_moves_nothing(tasks_client, auth, plan):
    item_id = plan.items["T1"]
    request = ask(tasks_client, unit(auth, plan, "市发改委"), item_id, requested_due_on="2021-03-31").json()
    due_on = item(tasks_client, auth, item_id)["due_on"]
    stale = tasks_client.post(
        f"/v1/extensions/{request['id']}/decision",
        json={"approve": True},
        headers=auth("office", **{"If-Match": f'"{request["version"] + 1}"'}),
    )
    assert_problem(stale, 412)
    assert item(tasks_client, auth, item_id)["due_on"] == due_on
    current = tasks_client.post(
        f"/v1/extensions/{request['id']}/decision",
        json={"approve": True},
        headers=auth("office", **{"If-Match": f'"{request["version"]}"'}),
    )
    assert current.status_code == 200, current.text
