"""Inputs are taken in the JSON type the contract declares; pydantic's quiet conversions are refused (422).

Found by schemathesis (tests/contract/test_schemathesis.py): `"due_on": 0` was stored as 1970-01-01,
`"approve": 0` decided a request, `"position": false` became 0 and `?as_of=0` meant the Unix epoch.
"""

from __future__ import annotations

import copy

from tests.problems import assert_problem
from tests.tasks_api.factories import SMALL_PLAN, import_small_plan

NEW_PLAN = {"key": "kaihua-2024", "title": "开化县行动计划", "starts_on": "2024-01-01", "ends_on": "2026-12-31"}


def refused_at(response, location: list) -> None:
    assert_problem(response, 422)
    assert location in [error["location"] for error in response.json()["errors"]]


def test_a_date_sent_as_a_number_is_refused_not_read_as_1970(tasks_client, auth):
    response = tasks_client.post("/v1/plans", json={**NEW_PLAN, "starts_on": 0}, headers=auth("office"))
    refused_at(response, ["body", "starts_on"])
    assert tasks_client.get("/v1/plans", headers=auth("viewer")).json()["data"] == []


def test_a_number_sent_as_true_or_false_is_refused(tasks_client, auth):
    plan = import_small_plan(tasks_client, auth)
    response = tasks_client.post(
        f"/v1/items/{plan.items['T3']}/responsibilities",
        headers=auth("office"),
        json={"unit_id": plan.units["市水利局"], "role": "co", "position": False},
    )
    refused_at(response, ["body", "position"])


def test_a_date_nested_in_an_imported_plan_file_must_be_text(tasks_client, auth):
    plan_file = copy.deepcopy(SMALL_PLAN)
    plan_file["items"][0]["milestones"][0]["due_on"] = 0
    response = tasks_client.post("/v1/plans/import", json=plan_file, headers=auth("office"))
    refused_at(response, ["body", "items", 0, "milestones", 0, "due_on"])


def test_a_date_in_the_query_must_be_iso_text(tasks_client, auth):
    plan = import_small_plan(tasks_client, auth)
    response = tasks_client.get(f"/v1/plans/{plan.plan_id}/items", params={"due_before": "0"}, headers=auth("viewer"))
    refused_at(response, ["query", "due_before"])


def test_dates_as_iso_text_are_taken(tasks_client, auth):
    response = tasks_client.post("/v1/plans", json=NEW_PLAN, headers=auth("office"))
    assert response.status_code == 201, response.text


def test_a_caller_without_a_token_is_refused_before_its_inputs_are_judged(tasks_client):
    response = tasks_client.post("/v1/plans", json={**NEW_PLAN, "starts_on": 0})
    assert_problem(response, 401)


def test_the_other_invalid_fields_are_named_alongside_a_converted_one(tasks_client, auth):
    response = tasks_client.post("/v1/plans", json={"starts_on": 0, "title": ["not text"]}, headers=auth("office"))
    refused_at(response, ["body", "starts_on"])
    locations = [error["location"] for error in response.json()["errors"]]
    assert ["body", "title"] in locations and ["body", "key"] in locations
