"""A JSON body with a key twice, NaN, Infinity or a number beyond a double is refused before any route reads it."""

from __future__ import annotations

import pytest

PLAN = '{"key": "p", "title": "t", "starts_on": "2019-01-01", "ends_on": "2025-12-31"%s}'


def plans(client, auth):
    return client.get("/v1/plans", headers=auth("admin")).json()["data"]


def post_plan(client, auth, body: str):
    return client.post(
        "/v1/plans", content=body.encode(), headers={**auth("office"), "Content-Type": "application/json"}
    )


def test_a_key_given_twice_is_400_naming_it_and_nothing_is_written(tasks_client, auth):
    response = post_plan(tasks_client, auth, PLAN % ', "title": "another"')
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "'title' appears more than once" in response.json()["detail"]
    assert plans(tasks_client, auth) == []


def test_a_duplicate_key_deep_in_the_body_is_found_with_its_path(tasks_client, auth):
    response = post_plan(tasks_client, auth, PLAN % ', "issuers": [{"a": 1, "a": 2}]')
    assert response.status_code == 400
    assert response.json()["errors"][0]["location"] == ["body", "issuers", 0]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_a_number_that_is_not_finite_is_422_naming_the_field_and_nothing_is_written(tasks_client, auth, number):
    response = post_plan(tasks_client, auth, PLAN % f', "weight": {number}')
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "weight"]
    assert response.json()["errors"][0]["type"] == "finite_number"
    assert plans(tasks_client, auth) == []


def test_an_ordinary_body_still_passes(tasks_client, auth):
    assert post_plan(tasks_client, auth, PLAN % "").status_code == 201


@pytest.mark.parametrize("day", ["0001-01-01", "1969-12-31", "2201-01-01", "9999-12-31T23:59:59Z"])
def test_a_date_outside_the_supported_years_is_422_in_a_body(tasks_client, auth, day):
    body = f'{{"key": "p", "title": "t", "starts_on": "{day}", "ends_on": "2025-12-31"}}'
    response = post_plan(tasks_client, auth, body)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "location": ["body", "starts_on"],
        "pointer": "/body/starts_on",
        "type": "supported_date",
        "message": f"{day!r} is outside the supported years (1970–2200).",
    }


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_date_outside_the_supported_years_is_422_in_a_query(tasks_client, auth, day):
    response = tasks_client.get("/v1/deadlines", params={"from": day}, headers=auth("office"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["query", "from"]


def test_the_edges_of_the_supported_years_are_accepted(tasks_client, auth):
    body = '{"key": "p", "title": "t", "starts_on": "1970-01-01", "ends_on": "2200-12-31"}'
    assert post_plan(tasks_client, auth, body).status_code == 201
