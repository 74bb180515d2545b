"""Every paginated list refuses page sizes out of range and cursors it did not issue with a 4xx problem.

OWASP API4: the page size is capped, and a forged cursor neither errors inside nor reaches the database raw.
"""

from __future__ import annotations

import base64

import pytest

from services.common.pagination import BULK_LIMIT, MAX_LIMIT, encode_cursor
from tests.hostile.contract import Operation, every
from tests.problems import assert_problem

LISTS = every(lambda op: op.is_list)
# The lists another service reads whole take larger pages (pagination.BulkLimit); every other list MAX_LIMIT.
BULK_LISTS = {"tasks_api GET /v1/deadlines", "reporting_api GET /v1/plans/{plan_id}/obligations"}

BAD_LIMITS = ["-1", "0", str(10**20), "ten", "1e3", ""]
BAD_CURSORS = {
    "not-base64": "!!!*not*base64*!!!",
    "not-json": "bm90IGpzb24",
    "an-object": encode_cursor({"id": "1; DROP TABLE units; --"}),
    "a-string": encode_cursor("' OR '1'='1"),
    "negative": encode_cursor(-5),
    "huge-number": base64.urlsafe_b64encode(str(10**30).encode()).decode(),
    "a-float": encode_cursor(1.5),
    "a-boolean": encode_cursor(True),
    "too-many-parts": encode_cursor([1, 2, 3, 4, 5, 6, 7]),
    "too-long": "A" * 5000,
}


def _required_query(op: Operation, ids: dict) -> dict:
    """The required query parameters, valued from the world (a list with a required period, for instance)."""
    return {name: ids[name] for name, parameter in op.query_parameters.items() if parameter.get("required")}


def _get(world, auth, op: Operation, **query):
    w = world(op.service)
    return w.client.get(op.url(w.ids), params={**_required_query(op, w.ids), **query}, headers=auth("admin"))


@pytest.mark.parametrize("op", LISTS, ids=str)
def test_the_plain_list_answers_200(world, auth, op):
    response = _get(world, auth, op, limit=2)
    assert response.status_code == 200, response.text


def cap_of(op: Operation) -> int:
    return BULK_LIMIT if str(op) in BULK_LISTS else MAX_LIMIT


@pytest.mark.parametrize("op", LISTS, ids=str)
def test_every_list_publishes_its_cap(op):
    assert op.query_parameters["limit"]["schema"]["maximum"] == cap_of(op)


@pytest.mark.parametrize("op", LISTS, ids=str)
def test_every_limit_out_of_range_is_refused(world, auth, op):
    for limit in [*BAD_LIMITS, str(cap_of(op) + 1)]:
        response = _get(world, auth, op, limit=limit)
        assert_problem(response, 400, 422, case=f"limit={limit!r}")


@pytest.mark.parametrize("op", LISTS, ids=str)
def test_every_cursor_the_service_did_not_issue_is_refused(world, auth, op):
    for name, cursor in BAD_CURSORS.items():
        response = _get(world, auth, op, cursor=cursor)
        assert_problem(response, 400, 422, case=f"cursor {name}")
