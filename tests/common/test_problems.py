"""Every error leaves the services as an RFC 9457 problem document, expected or not."""

import json

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from services.common.app import create_service_app
from services.common.problems import PROBLEM_TYPE_BASE, problem_response
from services.tasks_api.db import idempotency_keys
from services.tasks_api.settings import TasksSettings
from tests.problems import assert_problem

PROBLEM = "application/problem+json"


@pytest.fixture
def failing_client(tmp_path):
    router = APIRouter()

    @router.get("/v1/boom", summary="always fails")
    async def boom() -> dict:
        raise RuntimeError("secret internal detail")

    settings = TasksSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", environment="test")
    app = create_service_app(
        settings, title="t", description="t", version="0", routers=[router], idempotency_table=idempotency_keys
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_unexpected_failure_is_a_500_problem_without_internals(failing_client):
    body = assert_problem(failing_client.get("/v1/boom"), 500)
    assert "secret internal detail" not in str(body)
    assert "Traceback" not in str(body)


def test_unknown_path_is_a_404_problem(tasks_client):
    assert_problem(tasks_client.get("/v1/nothing-here"), 404)


def test_wrong_method_is_a_405_problem(tasks_client):
    assert_problem(tasks_client.put("/healthz"), 405)


def test_missing_record_is_a_404_problem_naming_it(tasks_client, auth):
    body = assert_problem(tasks_client.get("/v1/plans/999999", headers=auth("viewer")), 404)
    assert "999999" in body["detail"]


def test_wrong_type_in_body_is_a_422_problem_listing_the_field(tasks_client, auth):
    body = assert_problem(
        tasks_client.post(
            "/v1/plans",
            json={"key": "p", "title": "t", "starts_on": "soon", "ends_on": "2025-12-31"},
            headers=auth("office"),
        ),
        422,
    )
    assert any(error["location"][-1] == "starts_on" for error in body["errors"])


def test_unknown_body_field_is_refused(tasks_client, auth):
    body = assert_problem(
        tasks_client.post(
            "/v1/plans",
            json={"key": "p", "title": "t", "starts_on": "2019-01-01", "ends_on": "2025-12-31", "owner": "me"},
            headers=auth("office"),
        ),
        422,
    )
    assert any("owner" in error["location"] for error in body["errors"])


def test_unknown_query_parameter_is_refused(tasks_client, auth):
    body = assert_problem(tasks_client.get("/v1/plans", params={"colour": "red"}, headers=auth("viewer")), 400)
    assert "colour" in body["detail"]


def test_body_over_one_mebibyte_is_a_413_problem(tasks_client, auth):
    huge = {"key": "p", "title": "t", "starts_on": "2019-01-01", "ends_on": "2025-12-31", "summary": "长" * 400_000}
    assert_problem(tasks_client.post("/v1/plans", json=huge, headers=auth("office")), 413)


def test_chunked_body_over_the_limit_is_a_413_problem(tasks_client, auth):
    def chunks():
        for _ in range(20):
            yield b"x" * 100_000

    response = tasks_client.post(
        "/v1/plans", content=chunks(), headers=auth("office", **{"Content-Type": "application/json"})
    )
    assert_problem(response, 413)


def test_body_of_another_media_type_is_a_415_problem(tasks_client, auth):
    response = tasks_client.post(
        "/v1/plans", content=b"key=p", headers=auth("office", **{"Content-Type": "application/x-www-form-urlencoded"})
    )
    assert_problem(response, 415)


def test_invalid_utf8_json_is_a_400_problem(tasks_client, auth):
    response = tasks_client.post(
        "/v1/plans", content=b'{"key": "\xff\xfe"}', headers=auth("office", **{"Content-Type": "application/json"})
    )
    assert_problem(response, 400)


def test_invalid_cursor_is_a_400_problem(tasks_client, auth):
    assert_problem(tasks_client.get("/v1/plans", params={"cursor": "not-ours!"}, headers=auth("viewer")), 400)


@pytest.mark.parametrize("limit", [0, -1, 501, 10**12])
def test_page_size_outside_1_to_500_is_refused(tasks_client, auth, limit):
    assert_problem(tasks_client.get("/v1/plans", params={"limit": limit}, headers=auth("viewer")), 422)


def test_a_business_rule_refusal_names_the_query_input_it_refused(tasks_client, auth):
    window = {"from": "2025-01-02", "to": "2025-01-01"}
    response = tasks_client.get("/v1/deadlines", params=window, headers=auth("office"))
    body = assert_problem(response, 422)
    assert body["errors"] == [
        {"location": ["query", "to"], "pointer": "/query/to", "message": body["detail"], "type": "business_rule"}
    ]


def test_a_business_rule_refusal_points_at_the_body_field_it_refused(tasks_client, auth):
    group = {"plan_id": 999999, "key": "g", "name": "工作组", "kind": "thematic"}
    body = assert_problem(tasks_client.post("/v1/groups", json=group, headers=auth("office")), 422)
    assert [(e["pointer"], e["type"]) for e in body["errors"]] == [("/body/plan_id", "business_rule")]


@pytest.mark.parametrize(("status", "code"), [(409, "conflict"), (405, "method-not-allowed"), (418, "bad-request")])
def test_a_problem_raised_without_a_code_takes_its_statuses(status, code):
    body = json.loads(problem_response(status, "x").body)
    assert body["type"] == PROBLEM_TYPE_BASE + code
