"""The whole Quzhou plan (衢委发〔2019〕24号) is in the system after the import."""

from collections import Counter

import pytest

from services.tasks_api.plans.files.validation import parse_plan_file
from tests.conftest import QUZHOU_PLAN


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
        "市发改委",
        "市铁道中心",
        "市交通运输局",
        "市水利局",
        "市资源规划局",
    ]
    assert [r["role"] for r in detail["responsibilities"]] == ["lead", "co", "co", "co", "co"]
    assert [leader["name"] for leader in detail["lead_leaders"]] == ["陈锦标", "王良春"]


@pytest.mark.parametrize(
    ("key", "target", "measure"),
    [
        ("T9-expressway-km", 298, "km"),
        ("T9-national-provincial-road-km", 506, "km"),
        ("T9-road-total-km", 9506.2, "km"),
        ("T9-road-density", 107.52, "km/100km²"),
        ("T9-grade2-share", 100, "%"),
    ],
)
def test_task_9_carries_the_road_targets_for_2025(quzhou_client, auth, quzhou_plan_id, key, target, measure):
    task = item_by_key(quzhou_client, auth, quzhou_plan_id, "T9")
    indicators = {
        i["key"]: i
        for i in quzhou_client.get(f"/v1/items/{task['id']}/indicators", headers=auth("viewer")).json()["data"]
    }
    assert indicators[key]["target"] == target
    assert indicators[key]["measure"] == measure
    assert indicators[key]["target_date"] == "2025-12-31"


def test_the_export_of_the_imported_plan_is_the_curated_file(quzhou_client, auth, quzhou_plan_id):
    exported = quzhou_client.get(
        f"/v1/plans/{quzhou_plan_id}/export", params={"format": "yaml"}, headers=auth("viewer")
    )
    assert exported.headers["content-type"].startswith("application/yaml")
    assert parse_plan_file(exported.content) == parse_plan_file(QUZHOU_PLAN.read_bytes())


# -- the seed as printed ------------------------------------------------------------------------------------------

COUNTIES = ["柯城区", "衢江区", "龙游县", "江山市", "常山县", "开化县"]


def duties(client, auth, plan_id, key):
    item = item_by_key(client, auth, plan_id, key)
    return client.get(f"/v1/items/{item['id']}", headers=auth("viewer")).json()["responsibilities"]


def listed_duties(client, auth, plan_id, key):
    item = item_by_key(client, auth, plan_id, key)
    return client.get(f"/v1/items/{item['id']}/responsibilities", headers=auth("viewer")).json()["data"]


def test_the_organisation_department_keeps_its_printed_designation_and_stays_one_unit(
    quzhou_client, auth, quzhou_plan_id
):
    [t2] = [d for d in listed_duties(quzhou_client, auth, quzhou_plan_id, "T2") if d["unit_name"] == "市委组织部"]
    [kw9] = [d for d in listed_duties(quzhou_client, auth, quzhou_plan_id, "KW9") if d["unit_name"] == "市委组织部"]
    [t28] = [d for d in listed_duties(quzhou_client, auth, quzhou_plan_id, "T28") if d["unit_name"] == "市委组织部"]
    assert (t2["printed_name"], kw9["printed_name"], t28["printed_name"]) == (
        "市委组织部〔人才办〕",
        "市委组织部（人才办）",
        "市委组织部",
    )
    assert t2["unit_id"] == kw9["unit_id"] == t28["unit_id"]
    assert (t2["role"], t2["status"]) == ("lead", "assigned")


def test_each_county_phrase_expands_to_the_six_counties_after_the_city_departments(quzhou_client, auth, quzhou_plan_id):
    found = duties(quzhou_client, auth, quzhou_plan_id, "KW2")
    assert [(d["unit_name"], d["printed_name"], d["group"]) for d in found] == [
        ("市发改委", "市发改委", 1),
        ("市协作中心", "市协作中心", 1),
        ("绿色产业集聚区", "绿色产业集聚区", 1),
        ("市西区管委会", "市西区管委会", 1),
        *((county, "各县（市、区）", 2) for county in COUNTIES),
    ]


@pytest.mark.parametrize(
    ("key", "printed"),
    [
        ("T12", [("市发改委", 1), ("市水利局", 1), ("衢江区", 2), ("开化县", 2)]),
        (
            "T33",
            [("市发改委", 1), ("市资源规划局", 1), ("市交通运输局", 1), ("市经信局", 1), ("江山市", 2), ("常山县", 2)],
        ),
        ("KW22", [("开化县", 1), ("市资源规划局", 2), ("市生态环境局", 2)]),
    ],
)
def test_the_printed_groups_are_kept_in_printed_order(quzhou_client, auth, quzhou_plan_id, key, printed):
    assert [(d["unit_name"], d["group"]) for d in listed_duties(quzhou_client, auth, quzhou_plan_id, key)] == printed


def test_task_13_is_led_by_a_placeholder_the_office_must_assign(quzhou_client, auth, quzhou_plan_id):
    assert duties(quzhou_client, auth, quzhou_plan_id, "T13") == [
        {
            "unit_id": None,
            "unit_name": None,
            "role": "lead",
            "printed_name": "市级有关部门",
            "group": 1,
            "status": "to_be_assigned",
        }
    ]


def test_key_work_29_keeps_its_related_departments_as_a_placeholder_after_the_commerce_bureau(
    quzhou_client, auth, quzhou_plan_id
):
    found = duties(quzhou_client, auth, quzhou_plan_id, "KW29")
    assert [(d["unit_name"], d["printed_name"], d["role"], d["status"]) for d in found] == [
        ("市商务局", "市商务局", "lead", "assigned"),
        (None, "及相关部门", "co", "to_be_assigned"),
    ]


def test_a_placeholder_is_no_units_assignment_and_no_unit(quzhou_client, auth, quzhou_plan_id):
    assignments, cursor = [], None
    while True:
        page = quzhou_client.get(
            f"/v1/plans/{quzhou_plan_id}/assignments",
            params={"limit": 500, **({"cursor": cursor} if cursor else {})},
            headers=auth("viewer"),
        ).json()
        assignments += page["data"]
        if (cursor := page["next_cursor"]) is None:
            break
    assert assignments and all(a["unit_id"] is not None for a in assignments)
    units = quzhou_client.get("/v1/units", params={"limit": 500}, headers=auth("viewer")).json()["data"]
    assert not {"市级有关部门", "相关部门", "及相关部门", "各县（市、区）"} & {u["name"] for u in units}


def test_key_work_7s_second_sentence_has_its_own_date(quzhou_client, auth, quzhou_plan_id):
    item = item_by_key(quzhou_client, auth, quzhou_plan_id, "KW7")
    milestones = quzhou_client.get(f"/v1/items/{item['id']}/milestones", headers=auth("viewer")).json()["data"]
    indicators = quzhou_client.get(f"/v1/items/{item['id']}/indicators", headers=auth("viewer")).json()["data"]
    assert [(m["title"][:20], m["due_on"]) for m in milestones] == [
        ("完成黄衢南高速公路浙皖省界匝道收费站建设", "2020-12-31")
    ]
    assert {i["key"]: i["target_date"] for i in indicators} == {
        "KW7-etc-new-users": "2019-12-31",
        "KW7-etc-install-rate": "2019-12-31",
        "KW7-toll-stations-removed": "2020-12-31",
    }
    assert item["due_on"] == "2019-12-31"


@pytest.mark.parametrize(
    ("item", "key", "target", "measure", "comparison"),
    [
        ("P5", "P5-land-share", 11, "%", "="),
        ("P5", "P5-population-share", 40, "%", "="),
        ("T11", "T11-trunk-waterways", 1, "条", "="),
        ("T11", "T11-branch-waterways", 2, "条", "="),
        ("T11", "T11-port-areas", 4, "个", "="),
    ],
)
def test_the_indicators_the_curation_had_missed_are_there_for_2025(
    quzhou_client, auth, quzhou_plan_id, item, key, target, measure, comparison
):
    found = item_by_key(quzhou_client, auth, quzhou_plan_id, item)
    indicators = {
        i["key"]: i
        for i in quzhou_client.get(f"/v1/items/{found['id']}/indicators", headers=auth("viewer")).json()["data"]
    }
    assert {k: indicators[key][k] for k in ("target", "measure", "comparison", "target_date")} == {
        "target": target,
        "measure": measure,
        "comparison": comparison,
        "target_date": "2025-12-31",
    }


def test_the_plan_keeps_its_general_requirements_and_principles(quzhou_client, auth, quzhou_plan_id):
    plan = quzhou_client.get(f"/v1/plans/{quzhou_plan_id}", headers=auth("viewer")).json()
    assert plan["general_requirements"].startswith("以习近平新时代中国特色社会主义思想为指导")
    assert plan["general_requirements"].endswith("努力将衢州培育建设成为四省边际中心城市。")
    assert [p[:12] for p in plan["principles"]] == [
        "坚持战略协同、全面融入。",
        "坚持扬长补短、发挥优势。",
        "坚持重点突破、有序推进。",
        "坚持共同参与、合力推进。",
    ]


def test_the_tree_shows_task_13s_lead_as_to_be_assigned(quzhou_client, auth, quzhou_plan_id):
    tree = quzhou_client.get(f"/v1/plans/{quzhou_plan_id}/tree", headers=auth("viewer")).json()
    nodes, found = list(tree), {}
    while nodes:
        node = nodes.pop()
        found[node["key"]] = node
        nodes += node["children"]
    assert (found["T13"]["lead_unit"], found["T13"]["lead_to_be_assigned"]) == (None, "市级有关部门")
    assert (found["T24"]["lead_unit"], found["T24"]["lead_to_be_assigned"]) == ("市营商办", None)
