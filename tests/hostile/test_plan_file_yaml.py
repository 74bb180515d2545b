"""A plan file sent as YAML (POST /v1/plans/import, application/yaml) is held to the JSON import's rules: YAML's own
types (dates, bytes, sets) and a key written twice are refused with the key and line, a 4xx, and nothing changes.

Until 2026-12-07 PyYAML's safe loader built dates and bytes the JSON guards never saw: a date-shaped value that is
no date was a 500, a NUL written as !!binary passed the NUL check (PostgreSQL: 500), a printed group beyond 32 bits
was stored on SQLite (JSON's too), and of a key written twice the last silently won.
"""

from __future__ import annotations

import json

import pytest

from tests.databases import BACKEND  # noqa: F401 - runs on PostgreSQL too (tests/conftest.py)
from tests.problems import assert_problem

YAML = {"Content-Type": "application/yaml"}
HUGE_GROUP = 3_000_000_000


def _plan(key: str, **fields: str) -> str:
    header = {"key": key, "title": "探针", "starts_on": "2025-01-01", "ends_on": "2025-12-31", **fields}
    return "plan:\n" + "".join(f"  {name}: {value}\n" for name, value in header.items())


def _import(world, auth, body: str, media_type: str = "application/yaml"):
    headers = {**auth("admin"), "Content-Type": media_type}
    return world("tasks_api").request_changing_nothing(
        "POST", "/v1/plans/import", content=body.encode(), headers=headers
    )


@pytest.mark.parametrize("day", ["2024-02-30", "2024-13-01", "0000-01-01", "2024-01-01T25:00:00"])
def test_a_yaml_date_that_is_no_date_is_422_naming_the_field(world, auth, day):
    problem = assert_problem(_import(world, auth, _plan(f"yaml-date-{day[:10]}", starts_on=day)), 422)
    assert "plan.starts_on" in problem["detail"], problem


def test_a_yaml_date_with_a_time_of_day_is_422_naming_the_field(world, auth):
    problem = assert_problem(_import(world, auth, _plan("yaml-date-time", starts_on="2025-01-01T08:30:00")), 422)
    assert "plan.starts_on" in problem["detail"], problem


def test_a_nul_written_as_yaml_binary_is_422_with_its_line(world, auth):
    problem = assert_problem(_import(world, auth, _plan("yaml-binary-nul", title="!!binary 5o6i6ZKIAA==")), 422)
    assert "!!binary" in problem["detail"] and problem["errors"][0]["line"] == 3, problem


def test_a_yaml_set_is_422_as_json_has_none(world, auth):
    problem = assert_problem(_import(world, auth, _plan("yaml-set", title="!!set {a, b}")), 422)
    assert "!!set" in problem["detail"], problem


def _plan_with_group(group: int) -> dict:
    return {
        "plan": {"key": "huge-group", "title": "探针", "starts_on": "2025-01-01", "ends_on": "2025-12-31"},
        "units": [{"name": "探针单位", "kind": "department"}],
        "items": [{"key": "w1", "kind": "task", "title": "事项", "units": [{"unit": "探针单位", "group": group}]}],
    }


def test_a_yaml_printed_group_beyond_32_bits_is_422_on_either_database(world, auth):
    text = json.dumps(_plan_with_group(HUGE_GROUP), ensure_ascii=False)  # JSON is YAML too: the same file
    problem = assert_problem(_import(world, auth, text), 422)
    assert "items[0].units[0].group" in problem["detail"], problem


def test_a_json_printed_group_beyond_32_bits_is_422_on_either_database(world, auth):
    text = json.dumps(_plan_with_group(HUGE_GROUP), ensure_ascii=False)
    problem = assert_problem(_import(world, auth, text, "application/json"), 422)
    assert problem["errors"][0]["location"] == ["body", "items", 0, "units", 0, "group"], problem


def test_a_yaml_mapping_with_a_key_twice_is_refused_as_json_is(world, auth):
    text = "plan:\n  key: dup-a\n  key: dup-b\n  title: t\n  starts_on: 2025-01-01\n  ends_on: 2025-12-31\n"
    as_json = '{"plan": {"key": "dup-a", "key": "dup-b", "title": "t"}}'
    yaml_problem = assert_problem(_import(world, auth, text), 400)
    json_problem = assert_problem(_import(world, auth, as_json, "application/json"), 400)
    assert (yaml_problem["type"], yaml_problem["errors"][0]["type"]) == (json_problem["type"], "duplicate_key")
    assert yaml_problem["errors"][0]["line"] == 3, yaml_problem
