"""The whole Quzhou plan (衢委发〔2019〕24号) is in the system after the import."""

from collections import Counter

import pytest


def all_items(client, auth, plan_id, **params):
    found, cursor = [], None
    while True:
        query = {"limit": 500, **params, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/v1/plans/{plan_id}/items", params=query, headers=auth("viewer")).json()
        found += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def item_by_key(client, auth, plan_id, key):
    return next(i for i in all_items(client, auth, plan_id) if i["key"] == key)


def test_plan_header_matches_the_document(quzhou_client, auth, quzhou_plan_id):
    plan = quzhou_client.get(f"/v1/plans/{quzhou_plan_id}", headers=auth("viewer")).json()
    assert plan["document_number"] == "衢委发〔2019〕24号"
    assert plan["issuers"] == ["中共衢州市委", "衢州市人民政府"]
    assert plan["issued_on"] == "2019-10-28"
    assert plan["ends_on"] == "2025-12-31"


def test_every_part_of_the_document_is_an_item(quzhou_client, auth, quzhou_plan_id):
    kinds = Counter(i["kind"] for i in all_items(quzhou_client, auth, quzhou_plan_id))
    assert kinds["section"] == 9
    assert kinds["task"] == 33
    assert kinds["platform"] == 8
    assert kinds["safeguard"] == 5
    assert kinds["key_work"] == 33
    assert kinds["special_action"] == 9
    assert kinds["annex"] == 2
    assert kinds["goal"] >= 5


def test_platforms_hang_under_the_task_they_follow(quzhou_client, auth, quzhou_plan_id):
    items = {i["key"]: i for i in all_items(quzhou_client, auth, quzhou_plan_id)}
    assert items["P1"]["parent_id"] == items["T1"]["id"]
    assert items["P2"]["parent_id"] == items["T1"]["id"]
    assert all(items[f"KW{n}"]["parent_id"] == items["A2"]["id"] for n in range(1, 34))
    assert all(items[f"SA{n}"]["parent_id"] == items["A3"]["id"] for n in range(1, 10))


def test_task_24_is_led_by_the_business_environment_office(quzhou_client, auth, quzhou_plan_id):
    task = item_by_key(quzhou_client, auth, quzhou_plan_id, "T24")
    detail = quzhou_client.get(f"/v1/items/{task['id']}", headers=auth("viewer")).json()
    assert detail["responsibilities"][0] == {**detail["responsibilities"][0], "unit_name": "市营商办", "role": "lead"}


def test_special_action_1_has_its_units_in_printed_order_and_its_lead_leaders(quzhou_client, auth, quzhou_plan_id):
    action = item_by_key(quzhou_client, auth, quzhou_plan_id, "SA1")
    detail = quzhou_client.get(f"/v1/items/{action['id']}", headers=auth("viewer")).json()
    assert [r["unit_name"] for r in detail["responsibilities"]] == [
        "市发改委", "市铁道中心", "市交通运输局", "市水利局", "市资源规划局"]
    assert [r["role"] for r in detail["responsibilities"]] == ["lead", "co", "co", "co", "co"]
    assert [leader["name"] for leader in detail["lead_leaders"]] == ["陈锦标", "王良春"]


@pytest.mark.parametrize(("key", "target", "measure"), [
    ("T9-expressway-km", 298, "km"),
    ("T9-national-provincial-road-km", 506, "km"),
    ("T9-road-total-km", 9506.2, "km"),
    ("T9-road-density", 107.52, "km/100km²"),
    ("T9-grade2-share", 100, "%"),
])
def test_task_9_carries_the_road_targets_for_2025(quzhou_client, auth, quzhou_plan_id, key, target, measure):
    task = item_by_key(quzhou_client, auth, quzhou_plan_id, "T9")
    indicators = {i["key"]: i for i in quzhou_client.get(f"/v1/items/{task['id']}/indicators",
                                                         headers=auth("viewer")).json()["data"]}
    assert indicators[key]["target"] == target
    assert indicators[key]["measure"] == measure
    assert indicators[key]["target_date"] == "2025-12-31"


def test_the_export_of_the_imported_plan_is_the_curated_file(quzhou_client, auth, quzhou_plan_id):
    from services.tasks_api.plans.plan_file import parse_plan_file
    from tests.conftest import QUZHOU_PLAN

    exported = quzhou_client.get(f"/v1/plans/{quzhou_plan_id}/export", params={"format": "yaml"},
                                 headers=auth("viewer"))
    assert exported.headers["content-type"].startswith("application/yaml")
    assert parse_plan_file(exported.content) == parse_plan_file(QUZHOU_PLAN.read_bytes())
