"""Bulk acknowledgement (批量签收): a unit acknowledges many assignments in one request, a result for each, each
element wholly or not at all, in the history, idempotent, and only for its own unit."""

import pytest

from services.common.bulk import MAX_ELEMENTS
from tests.problems import assert_problem
from tests.tasks_api.factories import history, import_small_plan

DEVELOPMENT, WATER = "市发改委", "市水利局"


@pytest.fixture
def plan(tasks_client, auth):
    return import_small_plan(tasks_client, auth)


def acknowledge(client, headers, unit_id, **body):
    return client.post(f"/v1/units/{unit_id}/acknowledgements", json=body, headers=headers)


def duty(client, auth, responsibility_id):
    return client.get(f"/v1/responsibilities/{responsibility_id}", headers=auth("office")).json()


def test_mixed_elements_are_each_done_or_refused_with_the_single_calls_problem(tasks_client, auth, plan):
    unit_id = plan.units[DEVELOPMENT]
    mine = [plan.responsibilities["T1", DEVELOPMENT], plan.responsibilities["T3", DEVELOPMENT]]
    water = plan.responsibilities["T2", WATER]
    response = acknowledge(
        tasks_client, auth("unit", unit_id=unit_id), unit_id, responsibility_ids=[mine[0], 999999, water, mine[1]]
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(r["id"], r["status"]) for r in body["results"]] == [
        (mine[0], "ok"),
        (999999, "refused"),
        (water, "refused"),
        (mine[1], "ok"),
    ]
    assert (body["succeeded"], body["refused"]) == (2, 2)
    unknown, other = body["results"][1]["problem"], body["results"][2]["problem"]
    assert (unknown["status"], unknown["type"].rsplit("/", 1)[1]) == (404, "not-found")
    assert (other["status"], other["errors"][0]["location"]) == (422, ["body", "responsibility_ids", 2])
    # Each element as the single call: the done ones acknowledged with their history row, the refused one untouched.
    assert all(duty(tasks_client, auth, r)["acknowledged_at"] for r in mine)
    assert duty(tasks_client, auth, water)["acknowledged_at"] is None
    assert "acknowledged_at" in history(tasks_client, auth, "responsibility", mine[0])[-1]["changes"]
    assert len(history(tasks_client, auth, "responsibility", water)) == 1  # the import's create only
    [bulk] = history(tasks_client, auth, "bulk_acknowledgement", unit_id)
    assert bulk["action"] == "bulk"
    assert bulk["changes"]["acknowledged"] == [None, mine]
    assert bulk["changes"]["refused"] == [None, [999999, water]]
    assert bulk["changes"]["request_id"] == [None, body["request_id"]]


def test_all_pending_acknowledges_every_assignment_of_the_unit_not_acknowledged_yet(tasks_client, auth, plan):
    unit_id = plan.units[DEVELOPMENT]
    response = acknowledge(tasks_client, auth("office"), unit_id, all_pending=True)
    assert response.status_code == 200, response.text
    ids = sorted([plan.responsibilities["T1", DEVELOPMENT], plan.responsibilities["T3", DEVELOPMENT]])
    assert [r["id"] for r in response.json()["results"]] == ids
    again = acknowledge(tasks_client, auth("office"), unit_id, all_pending=True).json()
    assert again["results"] == [] and again["succeeded"] == 0


def test_a_retry_with_the_same_idempotency_key_replays_the_result_and_writes_nothing_twice(tasks_client, auth, plan):
    unit_id = plan.units[DEVELOPMENT]
    headers = {**auth("office"), "Idempotency-Key": "bulk-ack-1"}
    body = {"responsibility_ids": [plan.responsibilities["T1", DEVELOPMENT]]}
    first = tasks_client.post(f"/v1/units/{unit_id}/acknowledgements", json=body, headers=headers)
    second = tasks_client.post(f"/v1/units/{unit_id}/acknowledgements", json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert len(history(tasks_client, auth, "bulk_acknowledgement", unit_id)) == 1


def test_a_unit_cannot_acknowledge_for_another_unit(tasks_client, auth, plan):
    water = plan.responsibilities["T2", WATER]
    response = acknowledge(
        tasks_client, auth("unit", unit_id=plan.units[DEVELOPMENT]), plan.units[WATER], responsibility_ids=[water]
    )
    assert_problem(response, 403)
    assert duty(tasks_client, auth, water)["acknowledged_at"] is None


def test_a_viewer_cannot_acknowledge(tasks_client, auth, plan):
    unit_id = plan.units[DEVELOPMENT]
    assert_problem(acknowledge(tasks_client, auth("viewer"), unit_id, all_pending=True), 403)


def test_more_elements_than_the_limit_are_refused_whole(tasks_client, auth, plan):
    unit_id = plan.units[DEVELOPMENT]
    ids = list(range(1, MAX_ELEMENTS + 2))
    assert_problem(acknowledge(tasks_client, auth("office"), unit_id, responsibility_ids=ids), 422)
    assert history(tasks_client, auth, "bulk_acknowledgement", unit_id) == []


def test_an_id_named_twice_is_acknowledged_and_answered_once(tasks_client, auth, plan):
    unit_id, mine = plan.units[DEVELOPMENT], plan.responsibilities["T1", DEVELOPMENT]
    response = acknowledge(tasks_client, auth("office"), unit_id, responsibility_ids=[mine, mine])
    assert [r["id"] for r in response.json()["results"]] == [mine]


def test_naming_ids_and_all_pending_together_is_refused(tasks_client, auth, plan):
    unit_id, mine = plan.units[DEVELOPMENT], plan.responsibilities["T1", DEVELOPMENT]
    assert_problem(acknowledge(tasks_client, auth("office"), unit_id, responsibility_ids=[mine], all_pending=True), 422)
    assert_problem(acknowledge(tasks_client, auth("office"), unit_id), 422)


def test_an_unknown_unit_is_not_found(tasks_client, auth, plan):
    assert_problem(acknowledge(tasks_client, auth("office"), 999999, all_pending=True), 404)


def test_a_refusal_is_said_in_chinese_when_the_caller_prefers_it(tasks_client, auth, plan):
    unit_id = plan.units[DEVELOPMENT]
    headers = {**auth("office"), "Accept-Language": "zh-CN"}
    response = acknowledge(tasks_client, headers, unit_id, responsibility_ids=[plan.responsibilities["T2", WATER]])
    assert "不是单位" in response.json()["results"][0]["problem"]["detail"]
