"""Every write operation of tasks_api refuses callers without a token or without the right role.

The cases are generated from the app's contract, so a new write endpoint is covered without a new test.
"""

import re

import pytest

from services.tasks_api.app import create_app

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# What a unit token may do in tasks_api: acknowledge its assignments, ask for extensions, mark milestones done.
UNIT_MAY = {("POST", "/v1/responsibilities/{responsibility_id}/acknowledgement"),
            ("POST", "/v1/items/{item_id}/extensions"), ("PATCH", "/v1/milestones/{milestone_id}")}


def write_operations():
    for path, operations in create_app().openapi()["paths"].items():
        for method in sorted(m.upper() for m in operations if m.upper() in WRITE_METHODS):
            yield method, path


def concrete(path):
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize(("method", "path"), list(write_operations()))
def test_write_without_a_token_is_401(quzhou_client, method, path):
    response = quzhou_client.request(method, concrete(path), json={})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("role", ["viewer", "service"])
@pytest.mark.parametrize(("method", "path"), list(write_operations()))
def test_write_by_a_reader_is_403(quzhou_client, auth, role, method, path):
    response = quzhou_client.request(method, concrete(path), json={}, headers=auth(role))
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("method", "path"), [op for op in write_operations() if op not in UNIT_MAY])
def test_write_reserved_to_the_office_is_403_for_a_unit(quzhou_client, auth, method, path):
    response = quzhou_client.request(method, concrete(path), json={}, headers=auth("unit", unit_id=1))
    assert response.status_code == 403, response.text
