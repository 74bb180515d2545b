"""A plan file's item says what it serves (上级任务): another plan's item, by that plan's key and the item's key or
number, or an external task by its reference. The import links it (the higher-level plan imported first, else 422
and nothing written), the export writes the links back by key, and export → import → export gives the same file.
An item that leaves `serves` out keeps its link; `serves: null` unlinks it."""

from __future__ import annotations

import copy
from io import BytesIO

import pytest
import yaml
from openpyxl import load_workbook

from services.cli import main
from tests.problems import assert_problem
from tests.tasks_api.factories import history

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTERNAL = {"reference": "浙委发〔2019〕1号 任务3", "title": "数字经济一号工程", "source": "浙江省委文件"}


def plan_file(key: str, title: str, items: list[dict]) -> dict:
    return {
        "plan": {"key": key, "title": title, "starts_on": "2020-01-01", "ends_on": "2025-12-31"},
        "units": [{"name": "市发改委", "kind": "department"}],
        "items": items,
    }


def task(key: str, number: str, title: str, **more) -> dict:
    return {"key": key, "kind": "task", "number": number, "title": title, "units": ["市发改委"], **more}


PROVINCE = plan_file(
    "province",
    "浙江省推进长三角一体化行动方案",
    [task("P1", "1", "打造数字经济高地", serves=EXTERNAL), task("P2", "2", "共建交通网")],
)


def city(*items: dict) -> dict:
    return plan_file("city", "衢州市行动计划", list(items) or [task("C1", "1", "建设数字经济示范区")])


def imported(client, auth, plan: dict) -> int:
    response = client.post("/v1/plans/import", json=plan, headers=auth("office"))
    assert response.status_code == 200, response.text
    return response.json()["plan_id"]


def item_ids(client, auth, plan_id: int) -> dict[str, int]:
    rows = client.get(f"/v1/plans/{plan_id}/items", params={"limit": 500}, headers=auth("viewer")).json()["data"]
    return {row["key"]: row["id"] for row in rows}


def serves(client, auth, item_id: int) -> dict:
    return client.get(f"/v1/items/{item_id}/serves", headers=auth("viewer")).json()


def export(client, auth, plan_id: int) -> bytes:
    return client.get(f"/v1/plans/{plan_id}/export", params={"format": "yaml"}, headers=auth("viewer")).content


@pytest.fixture
def province(tasks_client, auth) -> dict[str, int]:
    return item_ids(tasks_client, auth, imported(tasks_client, auth, PROVINCE))


def test_an_item_of_the_file_serves_the_higher_plans_item_named_by_key(tasks_client, auth, province):
    plan_id = imported(
        tasks_client, auth, city(task("C1", "1", "建设数字经济示范区", serves={"plan": "province", "item": "P1"}))
    )
    found = serves(tasks_client, auth, item_ids(tasks_client, auth, plan_id)["C1"])
    assert found["link"]["serves_item_id"] == province["P1"]
    assert [step["item_key"] for step in found["chain"]] == ["P1"]
    assert found["external"] == EXTERNAL
    assert [c["action"] for c in history(tasks_client, auth, "item_link", found["link"]["id"])] == ["create"]


def test_an_item_may_be_named_by_its_number_and_the_export_names_it_by_key(tasks_client, auth, province):
    plan_id = imported(
        tasks_client, auth, city(task("C1", "1", "建设数字经济示范区", serves={"plan": "province", "number": "2"}))
    )
    assert serves(tasks_client, auth, item_ids(tasks_client, auth, plan_id)["C1"])["chain"][0]["item_key"] == "P2"
    assert yaml.safe_load(export(tasks_client, auth, plan_id))["items"][0]["serves"] == {
        "plan": "province",
        "item": "P2",
    }


def test_the_export_writes_external_tasks_and_a_round_trip_keeps_every_link(tasks_client, auth, province):
    plan_id = imported(
        tasks_client, auth, city(task("C1", "1", "建设数字经济示范区", serves={"plan": "province", "item": "P1"}))
    )
    province_id = tasks_client.get(f"/v1/items/{province['P1']}", headers=auth("viewer")).json()["plan_id"]
    assert yaml.safe_load(export(tasks_client, auth, province_id))["items"][0]["serves"] == EXTERNAL
    for exported_from in (plan_id, province_id):
        first = export(tasks_client, auth, exported_from)
        again = tasks_client.post(
            "/v1/plans/import", content=first, headers=auth("office", **{"Content-Type": "application/yaml"})
        )
        assert again.status_code == 200, again.text
        assert sum(again.json()["counts"].values()) == 0
        assert export(tasks_client, auth, exported_from) == first


def test_a_plan_that_serves_a_plan_not_yet_imported_is_refused_and_nothing_is_written(tasks_client, auth):
    refused = tasks_client.post(
        "/v1/plans/import",
        json=city(task("C1", "1", "建设数字经济示范区", serves={"plan": "province", "item": "P1"})),
        headers=auth("office"),
    )
    assert_problem(refused, 422)
    assert refused.json()["errors"][0]["pointer"] == "/body/items/0/serves/plan"
    assert "import the plans an item serves before the plans that serve them" in refused.json()["detail"]
    assert [p["key"] for p in tasks_client.get("/v1/plans", headers=auth("viewer")).json()["data"]] == []


@pytest.mark.parametrize(
    ("serves_", "pointer", "words"),
    [
        ({"plan": "province", "item": "P9"}, "/body/items/0/serves/item", "no item with key P9"),
        ({"plan": "province", "number": "9"}, "/body/items/0/serves/number", "no item with number 9"),
    ],
)
def test_an_item_the_higher_plan_does_not_have_is_422_at_its_place(
    tasks_client, auth, province, serves_, pointer, words
):
    refused = tasks_client.post(
        "/v1/plans/import", json=city(task("C1", "1", "示范区", serves=serves_)), headers=auth("office")
    )
    assert_problem(refused, 422)
    assert (refused.json()["errors"][0]["pointer"], words in refused.json()["detail"]) == (pointer, True)


def test_a_number_two_items_of_the_higher_plan_print_is_422_asking_for_the_key(tasks_client, auth):
    twice = copy.deepcopy(PROVINCE)
    twice["items"][1]["number"] = "1"
    imported(tasks_client, auth, twice)
    refused = tasks_client.post(
        "/v1/plans/import",
        json=city(task("C1", "1", "示范区", serves={"plan": "province", "number": "1"})),
        headers=auth("office"),
    )
    assert_problem(refused, 422)
    assert "2 items with number 1: name the item by its key" in refused.json()["detail"]


@pytest.mark.parametrize(
    "serves_",
    [
        {"plan": "province"},
        {"plan": "province", "item": "P1", "number": "1"},
        {"plan": "province", "item": "P1", "title": "只属于外部任务"},
        {"reference": "浙委发〔2019〕1号", "item": "P1"},
        {"title": "没有文号"},
        {"plan": "city", "item": "C2"},
    ],
)
def test_a_serves_entry_names_exactly_one_target_outside_its_own_plan(tasks_client, auth, serves_):
    plan = city(task("C1", "1", "示范区", serves=serves_), task("C2", "2", "产业"))
    refused = tasks_client.post("/v1/plans/import", json=plan, headers=auth("office"))
    assert_problem(refused, 422)
    assert tasks_client.get("/v1/plans", headers=auth("viewer")).json()["data"] == []


def test_an_item_that_leaves_serves_out_keeps_its_link_and_null_unlinks_it(tasks_client, auth, province):
    plan_id = imported(tasks_client, auth, city())
    c1 = item_ids(tasks_client, auth, plan_id)["C1"]
    linked = tasks_client.put(
        f"/v1/items/{c1}/serves", json={"serves_item_id": province["P2"]}, headers=auth("office", **{"If-Match": '"0"'})
    )
    assert linked.status_code == 200, linked.text
    again = tasks_client.post("/v1/plans/import", json=city(), headers=auth("office"))
    assert (again.json()["counts"], serves(tasks_client, auth, c1)["chain"][0]["item_key"]) == ({}, "P2")
    unlinked = tasks_client.post(
        "/v1/plans/import", json=city(task("C1", "1", "建设数字经济示范区", serves=None)), headers=auth("office")
    )
    assert (unlinked.json()["counts"], serves(tasks_client, auth, c1)["link"]) == ({"item_link.deleted": 1}, None)


def test_a_link_the_file_removes_and_sets_again_continues_its_versions(tasks_client, auth, province):
    plan_id = imported(tasks_client, auth, city(task("C1", "1", "示范区", serves={"plan": "province", "item": "P1"})))
    c1 = item_ids(tasks_client, auth, plan_id)["C1"]
    imported(tasks_client, auth, city(task("C1", "1", "示范区", serves=None)))
    assert serves(tasks_client, auth, c1)["version"] == 0
    imported(tasks_client, auth, city(task("C1", "1", "示范区", serves={"plan": "province", "item": "P2"})))
    # Not 1 again: a clerk who read the first link's ETag ("1") is refused by the second.
    assert serves(tasks_client, auth, c1)["version"] == 2
    late = tasks_client.delete(f"/v1/items/{c1}/serves", headers=auth("office", **{"If-Match": '"1"'}))
    assert_problem(late, 412)


def test_a_changed_link_is_one_update_in_the_links_history(tasks_client, auth, province):
    plan_id = imported(tasks_client, auth, city(task("C1", "1", "示范区", serves={"plan": "province", "item": "P1"})))
    changed = tasks_client.post(
        "/v1/plans/import", json=city(task("C1", "1", "示范区", serves=EXTERNAL)), headers=auth("office")
    )
    assert changed.json()["counts"] == {"item_link.updated": 1}
    found = serves(tasks_client, auth, item_ids(tasks_client, auth, plan_id)["C1"])
    assert (found["chain"], found["external"], found["version"]) == ([], EXTERNAL, 2)


def test_a_link_of_the_file_that_would_close_a_cycle_is_422_and_nothing_changes(tasks_client, auth, province):
    plan_id = imported(tasks_client, auth, city(task("C1", "1", "示范区", serves={"plan": "province", "item": "P2"})))
    cycle = copy.deepcopy(PROVINCE)
    cycle["items"][1]["serves"] = {"plan": "city", "item": "C1"}
    cycle["items"][1]["title"] = "改了标题"
    refused = tasks_client.post("/v1/plans/import", json=cycle, headers=auth("office"))
    assert_problem(refused, 422)
    assert refused.json()["errors"][0]["pointer"] == "/body/items/1/serves"
    assert serves(tasks_client, auth, province["P2"])["link"] is None
    assert tasks_client.get(f"/v1/items/{province['P2']}", headers=auth("viewer")).json()["title"] == "共建交通网"
    assert serves(tasks_client, auth, item_ids(tasks_client, auth, plan_id)["C1"])["chain"][0]["item_key"] == "P2"


def test_the_command_line_says_which_plan_to_import_first(
    tasks_client, auth, tasks_database, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("TASKS_API_DATABASE_URL", tasks_database)
    path = tmp_path / "city.yaml"
    plan = city(task("C1", "1", "示范区", serves={"plan": "province", "item": "P1"}))
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    assert main(["import", str(path)]) == 1
    assert "items/0/serves/plan: Plan province is not in duban" in capsys.readouterr().err


def test_the_breakdown_workbook_leaves_links_alone_and_stays_current_when_one_is_set(tasks_client, auth, province):
    plan_id = imported(tasks_client, auth, city())
    c1 = item_ids(tasks_client, auth, plan_id)["C1"]
    downloaded = tasks_client.get(f"/v1/plans/{plan_id}/breakdown.xlsx", headers=auth("viewer"))
    office = auth("office", **{"If-Match": '"0"'})
    assert tasks_client.put(
        f"/v1/items/{c1}/serves", json={"serves_item_id": province["P1"]}, headers=office
    ).is_success
    book = load_workbook(BytesIO(downloaded.content))
    book["事项"]["E2"] = "建设数字经济示范区（修订）"  # 标题 of the only item
    edited = BytesIO()
    book.save(edited)
    uploaded = tasks_client.put(
        f"/v1/plans/{plan_id}/breakdown", content=edited.getvalue(), headers=auth("office", **{"Content-Type": XLSX})
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["counts"] == {"item.updated": 1}
    assert serves(tasks_client, auth, c1)["chain"][0]["item_key"] == "P1"
