"""Every write operation that takes a JSON body refuses bad bodies with the right problem, and changes nothing.

The cases are generated from each service's contract: a new write endpoint is attacked without a new test.
The caller is an admin, so that nothing but the body can be the reason for the refusal.
"""

from __future__ import annotations

import pytest

from tests.hostile.contract import Operation, every
from tests.problems import assert_problem

BODY_WRITES = every(lambda op: op.is_write and op.body_schema is not None)
MAX_BODY_BYTES = 1024 * 1024  # the services' documented default
DEPTH = 10_000


def _bounded_strings(op: Operation) -> list[tuple[str, int]]:
    properties = op.body_schema.get("properties", {})
    bounds = ((name, op.resolve(schema).get("maxLength")) for name, schema in properties.items())
    return [(name, bound) for name, bound in bounds if bound is not None]


BOUNDED_FIELDS = [
    pytest.param(op, name, bound, id=f"{op}:{name}") for op in BODY_WRITES for name, bound in _bounded_strings(op)
]
REQUIRING_FIELDS = [op for op in BODY_WRITES if op.body_schema.get("required")]
FIELDS = [pytest.param(op, name, id=f"{op}:{name}") for op in BODY_WRITES for name in op.body_schema["properties"]]


def _wrong_value(schema: dict) -> object:
    """A JSON value no field of this schema accepts: an object where an array is expected, else an array."""
    return {"not": "an array"} if schema.get("type") == "array" else [True]


def _error_locations(problem: dict) -> list[list]:
    return [error["location"] for error in problem.get("errors") or []]


def _names_field(problem: dict, name: str) -> bool:
    # A plan file import names keys within the file (with their lines), the other operations within the body.
    return any(location[:2] == ["body", name] or location[:1] == [name] for location in _error_locations(problem))


def _send(world, auth, op: Operation, **kwargs):
    w = world(op.service)
    return w.request_changing_nothing(
        op.method, op.url(w.ids), headers={**auth("admin"), **kwargs.pop("headers", {})}, **kwargs
    )


@pytest.mark.parametrize("op", BODY_WRITES, ids=str)
def test_a_body_that_is_not_an_object_is_422(world, auth, op):
    assert_problem(_send(world, auth, op, json=["an", "array"]), 422)


@pytest.mark.parametrize(("op", "name"), FIELDS)
def test_a_field_of_the_wrong_type_is_named_in_the_422(world, auth, op, name):
    wrong = _wrong_value(op.resolve(op.body_schema["properties"][name]))
    problem = assert_problem(_send(world, auth, op, json={name: wrong}), 422)
    assert _names_field(problem, name), problem


@pytest.mark.parametrize("op", REQUIRING_FIELDS, ids=str)
def test_every_missing_required_field_is_named_in_the_422(world, auth, op):
    problem = assert_problem(_send(world, auth, op, json={}), 422)
    assert [name for name in op.body_schema["required"] if not _names_field(problem, name)] == []


@pytest.mark.parametrize("op", BODY_WRITES, ids=str)
def test_an_unknown_field_is_named_in_the_422(world, auth, op):
    problem = assert_problem(_send(world, auth, op, json={"owner_override": 1}), 422)
    assert _names_field(problem, "owner_override"), problem


@pytest.mark.parametrize(("op", "name", "bound"), BOUNDED_FIELDS)
def test_a_string_one_past_its_max_length_is_422(world, auth, op, name, bound):
    problem = assert_problem(_send(world, auth, op, json={name: "长" * (bound + 1)}), 422)
    assert _names_field(problem, name), problem


@pytest.mark.parametrize("op", BODY_WRITES, ids=str)
def test_a_body_of_several_megabytes_is_413(world, auth, op):
    name = next(iter(op.body_schema["properties"]))
    assert_problem(_send(world, auth, op, json={name: "x" * (3 * MAX_BODY_BYTES)}), 413)


@pytest.mark.parametrize("op", BODY_WRITES, ids=str)
def test_a_chunked_body_over_the_limit_is_413(world, auth, op):
    chunks = (b"[" + b"0," * (MAX_BODY_BYTES // 8) for _ in range(5))
    assert_problem(_send(world, auth, op, content=chunks, headers={"Content-Type": "application/json"}), 413)


# Foreign media types, and those the services take on other operations (a plan file, a workbook).
OTHER_MEDIA_TYPES = [
    "text/plain",
    "application/xml",
    "multipart/form-data; boundary=x",
    "application/yaml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
]


@pytest.mark.parametrize("op", BODY_WRITES, ids=str)
def test_a_body_of_a_media_type_the_operation_does_not_take_is_415(world, auth, op):
    w = world(op.service)
    with w.changing_nothing():
        for media_type in (m for m in OTHER_MEDIA_TYPES if m not in op.spec["requestBody"]["content"]):
            response = w.client.request(
                op.method,
                op.url(w.ids),
                content=b'{"title": "x"}',
                headers={**auth("admin"), "Content-Type": media_type},
            )
            assert_problem(response, 415, case=media_type)


@pytest.mark.parametrize("op", BODY_WRITES, ids=str)
def test_invalid_utf8_is_refused(world, auth, op):
    name = next(iter(op.body_schema["properties"]))
    content = b'{"' + name.encode() + b'": "\xff\xfe\xc3\x28"}'
    assert_problem(_send(world, auth, op, content=content, headers={"Content-Type": "application/json"}), 400, 422)


@pytest.mark.parametrize("shape", ["arrays", "objects"])
@pytest.mark.parametrize("op", BODY_WRITES, ids=str)
def test_json_nested_ten_thousand_deep_is_refused_without_a_crash(world, auth, op, shape):
    opening, closing = ("[", "]") if shape == "arrays" else ('{"a":', "}")
    content = (opening * DEPTH + "1" + closing * DEPTH).encode()
    assert_problem(_send(world, auth, op, content=content, headers={"Content-Type": "application/json"}), 400, 422)


YAML_TYPES = ["application/yaml", "application/x-yaml", "text/yaml"]
IMPORT = "/v1/plans/import"


@pytest.mark.parametrize("shape", ["flow-lists", "block-lists", "flow-mappings"])
def test_a_plan_file_nested_ten_thousand_deep_is_422_without_a_crash(world, auth, shape):
    content = {
        "flow-lists": "[" * DEPTH + "]" * DEPTH,
        "block-lists": "plan:\n" + "- " * DEPTH + "x",
        "flow-mappings": "plan: " + "{a: " * DEPTH + "1" + "}" * DEPTH,
    }[shape]
    w = world("tasks_api")
    response = w.request_changing_nothing(
        "POST", IMPORT, content=content.encode(), headers={**auth("admin"), "Content-Type": YAML_TYPES[0]}
    )
    assert_problem(response, 422)


def test_a_plan_of_items_nested_as_deep_as_json_allows_is_refused_without_a_crash(world, auth):
    item = '{"key": "leaf", "kind": "task", "title": "叶"}'
    for level in range(500):  # 1,000 levels of JSON, within what the parser takes (the encoders take less)
        item = f'{{"key": "k{level}", "kind": "section", "title": "节", "children": [{item}]}}'
    plan = '{"key": "deep", "title": "深", "starts_on": "2025-01-01", "ends_on": "2025-12-31"}'
    response = world("tasks_api").request_changing_nothing(
        "POST",
        IMPORT,
        content=f'{{"plan": {plan}, "items": [{item}]}}'.encode(),
        headers={**auth("admin"), "Content-Type": "application/json"},
    )
    assert_problem(response, 400, 422)
