"""Values beyond what the database stores are bad input, never a 500: numbers beyond PostgreSQL's integer
(SQLite's 64 bits), texts wider than a PostgreSQL varchar column.

Every integer in a path and every integer filter of a list is tried, from the contracts; a few body fields
that name records too. Each answer is a 4xx problem, and nothing changes.
"""

from __future__ import annotations

import pytest

from tests.hostile.contract import Operation, every
from tests.problems import assert_problem

# The last as pydantic also reads an integer: written as a decimal, which int() does not read.
BEYOND: dict[str, int | str] = {"int32": 2**31, "int64": 2**63, "huge": 10**20, "int32 as a decimal": "2147483648.0"}


def _integer_parameters(op: Operation, where: str) -> list[str]:
    return [
        p["name"]
        for p in op.spec.get("parameters", [])
        if p["in"] == where and op.resolve(p.get("schema", {})).get("type") == "integer"
    ]


ID_PATHS = every(lambda op: not op.is_public and _integer_parameters(op, "path"))
INTEGER_FILTERS = [
    pytest.param(op, name, id=f"{op}?{name}")
    for op in every(lambda op: op.method == "GET")
    for name in _integer_parameters(op, "query")
    if name not in {"limit", "days"}
]
BODY_IDS = {
    "responsibility-unit": ("tasks_api", "POST", "/v1/items/{item_id}/responsibilities", {"role": "co"}, "unit_id"),
    "item-leader": ("tasks_api", "POST", "/v1/items/{item_id}/leaders", {}, "leader_id"),
    "report-item": ("reporting_api", "POST", "/v1/reports", {"period": "2024-Q1"}, "item_id"),
    "pause-plan": ("notify_api", "POST", "/v1/pauses", {"reason": "超范围"}, "plan_id"),
}


@pytest.mark.parametrize("op", ID_PATHS, ids=str)
def test_an_id_beyond_the_stored_range_in_the_path_is_404(world, auth, op):
    w = world(op.service)
    with w.changing_nothing():
        for size, number in BEYOND.items():
            url = op.url({**w.ids, **{name: number for name in _integer_parameters(op, "path")}})
            response = w.client.request(
                op.method,
                url,
                headers={**auth("admin"), "If-Match": '"1"'},
                **({"json": {}} if op.body_schema is not None else {}),
            )
            assert_problem(response, 404, case=size)


@pytest.mark.parametrize(("op", "name"), INTEGER_FILTERS)
def test_an_integer_filter_beyond_the_stored_range_is_422(world, auth, op, name):
    w = world(op.service)
    query = {p: w.ids[p] for p, spec in op.query_parameters.items() if spec.get("required")}
    for size in ("huge", "int32 as a decimal"):
        response = w.client.get(op.url(w.ids), params={**query, name: BEYOND[size]}, headers=auth("admin"))
        assert_problem(response, 422, case=size)


ID_FILTERS = [param for param in INTEGER_FILTERS if param.values[1].endswith("_id") and param.values[1] != "owner_id"]


@pytest.mark.parametrize(("op", "name"), ID_FILTERS)
def test_an_id_filter_below_one_is_422_as_the_contracts_id_says(world, auth, op, name):
    w = world(op.service)
    query = {p: w.ids[p] for p, spec in op.query_parameters.items() if spec.get("required")}
    response = w.client.get(op.url(w.ids), params={**query, name: 0}, headers=auth("admin"))
    assert_problem(response, 422)


def test_a_body_integer_beyond_32_bits_is_422_on_either_database(world, auth):
    w = world("notify_api")
    body = {"plan_id": w.ids["plan_id"], "reason": "超范围", "item_id": BEYOND["int32"]}
    assert_problem(w.request_changing_nothing("POST", "/v1/pauses", json=body, headers=auth("admin")), 422)


@pytest.mark.parametrize("case", BODY_IDS)
def test_an_id_beyond_the_stored_range_in_a_body_is_404_or_422(world, auth, case):
    service, method, path, body, name = BODY_IDS[case]
    w = world(service)
    response = w.request_changing_nothing(
        method, path.format(**w.ids), json={**body, name: BEYOND["huge"]}, headers=auth("admin")
    )
    assert_problem(response, 404, 422)


PLAN = {"key": "wide-fields", "title": "超宽字段", "starts_on": "2025-01-01", "ends_on": "2025-12-31"}
WIDE = "长" * 300  # wider than every varchar column a plan file fills
WIDE_PLAN_FILES = {  # fields the plan file leaves unbounded, stored in varchar columns
    "document-number": {"plan": {**PLAN, "document_number": WIDE}},
    "leader-title": {"plan": PLAN, "leaders": [{"name": "张三", "title": WIDE}]},
    "item-number": {"plan": PLAN, "items": [{"key": "w1", "kind": "task", "title": "事项", "number": WIDE}]},
    "indicator-measure": {
        "plan": PLAN,
        "items": [
            {
                "key": "w1",
                "kind": "task",
                "title": "事项",
                "indicators": [
                    {"key": "w1-a", "name": "指标", "target": 1, "target_date": "2025-12-31", "measure": WIDE}
                ],
            }
        ],
    },
}


@pytest.mark.parametrize("field", WIDE_PLAN_FILES)
def test_a_plan_file_text_wider_than_its_column_is_422_on_either_database(world, auth, field):
    """The plan file's schema states each column's width (the contract's maxLength), so SQLite, which would keep the
    text whole, refuses it as PostgreSQL would, before anything is written."""
    w, body = world("tasks_api"), WIDE_PLAN_FILES[field]
    response = w.request_changing_nothing("POST", "/v1/plans/import", json=body, headers=auth("admin"))
    assert_problem(response, 422)
    assert "at most" in response.json()["detail"]
