"""A plan file gives units' parents (上级单位) by name or alias: a unit of the file or one already known; the export
writes them back (export → import → export is the same); a parent unknown or a cycle of parents is refused with
the place in the file, over HTTP (422) and on the command line."""

from __future__ import annotations

import copy

import yaml

from services.cli import main
from tests.problems import assert_problem
from tests.tasks_api.factories import SMALL_PLAN

ROADS = {"name": "市公路中心", "kind": "department", "parent": "市交通运输局"}


def with_units(*extra: dict, plan: dict = SMALL_PLAN) -> dict:
    changed = copy.deepcopy(plan)
    changed["units"] += list(extra)
    changed["groups"] = [{"key": "roads", "name": "公路专班", "kind": "thematic", "unit": "市公路中心"}]
    return changed


def imported(client, auth, plan: dict):
    response = client.post("/v1/plans/import", json=plan, headers=auth("office"))
    assert response.status_code == 200, response.text
    return response.json()["plan_id"]


def units_by_name(client, auth) -> dict[str, dict]:
    return {u["name"]: u for u in client.get("/v1/units", params={"limit": 100}, headers=auth("viewer")).json()["data"]}


def test_a_unit_of_the_file_is_placed_under_its_parent_and_the_export_says_so(tasks_client, auth):
    plan_id = imported(tasks_client, auth, with_units(ROADS))
    found = units_by_name(tasks_client, auth)
    assert found["市公路中心"]["parent_id"] == found["市交通运输局"]["id"]
    export = tasks_client.get(f"/v1/plans/{plan_id}/export", params={"format": "yaml"}, headers=auth("viewer"))
    exported = yaml.safe_load(export.content)
    assert next(u for u in exported["units"] if u["name"] == "市公路中心")["parent"] == "市交通运输局"


def test_export_then_import_gives_the_same_file_parents_included(tasks_client, auth):
    plan_id = imported(tasks_client, auth, with_units(ROADS))
    first = tasks_client.get(f"/v1/plans/{plan_id}/export", params={"format": "yaml"}, headers=auth("viewer"))
    again = tasks_client.post(
        "/v1/plans/import", content=first.content, headers={**auth("office"), "Content-Type": "application/yaml"}
    )
    assert again.status_code == 200, again.text
    assert sum(again.json()["counts"].values()) == 0
    second = tasks_client.get(f"/v1/plans/{plan_id}/export", params={"format": "yaml"}, headers=auth("viewer"))
    assert second.content == first.content


def test_a_parent_that_is_neither_in_the_file_nor_known_is_422_at_its_place(tasks_client, auth):
    refused = tasks_client.post(
        "/v1/plans/import", json=with_units({**ROADS, "parent": "省交通运输厅"}), headers=auth("office")
    )
    assert_problem(refused, 422)
    assert refused.json()["errors"][0]["pointer"] == "/body/units/3/parent"
    assert "市公路中心" not in units_by_name(tasks_client, auth)


def test_parents_that_would_form_a_cycle_in_the_file_are_422(tasks_client, auth):
    plan = with_units(ROADS)
    plan["units"][0]["parent"] = "市公路中心"  # 市交通运输局 under its own sub-unit
    refused = tasks_client.post("/v1/plans/import", json=plan, headers=auth("office"))
    assert_problem(refused, 422)
    assert {e["location"][0] for e in refused.json()["errors"]} == {"units[0].parent", "units[3].parent"}


def test_a_parent_that_closes_a_cycle_with_the_known_units_is_422_and_nothing_changes(tasks_client, auth):
    imported(tasks_client, auth, with_units(ROADS))
    plan = copy.deepcopy(SMALL_PLAN)
    plan["plan"]["key"] = "other-plan"
    plan["units"][0]["parent"] = "市公路中心"  # known, and under 市交通运输局 already
    refused = tasks_client.post("/v1/plans/import", json=plan, headers=auth("office"))
    assert_problem(refused, 422)
    assert refused.json()["errors"][0]["pointer"] == "/body/units/0/parent"
    assert units_by_name(tasks_client, auth)["市交通运输局"]["parent_id"] is None


def test_the_command_line_names_the_unknown_parent_and_changes_nothing(
    tasks_client, auth, tasks_database, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("TASKS_API_DATABASE_URL", tasks_database)
    path = tmp_path / "plan.yaml"
    plan = with_units({**ROADS, "parent": "省交通运输厅"})
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    assert main(["import", str(path)]) == 1
    assert "units/3/parent: Unit 省交通运输厅 is neither a unit of the file nor a known one." in capsys.readouterr().err
    assert "市公路中心" not in units_by_name(tasks_client, auth)


def test_a_unit_listed_twice_is_refused_with_its_place_and_nothing_is_written(tasks_client, auth):
    plan = with_units(ROADS, dict(ROADS))
    response = tasks_client.post("/v1/plans/import", json=plan, headers=auth("office"))
    assert_problem(response, 422)
    assert response.json()["errors"][0]["location"] == [f"units[{len(plan['units']) - 1}]"]
    assert "市公路中心" not in units_by_name(tasks_client, auth)
