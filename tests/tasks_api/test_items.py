"""Items: the filtered list, the tree, and edits that keep the tree a tree."""

import pytest

from tests.tasks_api.factories import import_small_plan


@pytest.fixture
def plan(tasks_client, auth):
    return import_small_plan(tasks_client, auth)


def keys(client, auth, plan_id, **params):
    response = client.get(f"/v1/plans/{plan_id}/items", params=params, headers=auth("viewer"))
    assert response.status_code == 200, response.text
    return [item["key"] for item in response.json()["data"]]


def test_items_filter_by_kind(quzhou_client, auth, quzhou_plan_id):
    assert len(keys(quzhou_client, auth, quzhou_plan_id, kind="special_action", limit=500)) == 9


def test_items_filter_by_parent(quzhou_client, auth, quzhou_plan_id):
    tasks = {
        i["key"]: i
        for i in quzhou_client.get(
            f"/v1/plans/{quzhou_plan_id}/items", params={"kind": "task"}, headers=auth("viewer")
        ).json()["data"]
    }
    assert keys(quzhou_client, auth, quzhou_plan_id, parent_id=tasks["T1"]["id"]) == ["P1", "P2"]


def test_items_filter_by_unit_and_role(quzhou_client, auth, quzhou_plan_id):
    unit_id = quzhou_client.get("/v1/units", params={"name": "市营商办"}, headers=auth("viewer")).json()["data"][0][
        "id"
    ]
    led = keys(quzhou_client, auth, quzhou_plan_id, unit_id=unit_id, role="lead", limit=500)
    anyhow = keys(quzhou_client, auth, quzhou_plan_id, unit_id=unit_id, limit=500)
    assert "T24" in led
    assert set(led) <= set(anyhow)


def test_items_filter_by_due_window(quzhou_client, auth, quzhou_plan_id):
    due_2019 = keys(quzhou_client, auth, quzhou_plan_id, due_after="2019-01-01", due_before="2019-12-31", limit=500)
    assert "KW7" in due_2019
    assert "T9" not in due_2019


def test_items_search_text_in_title_and_text(quzhou_client, auth, quzhou_plan_id):
    assert "T9" in keys(quzhou_client, auth, quzhou_plan_id, q="高速公路", limit=500)


def test_search_treats_wildcards_literally(quzhou_client, auth, quzhou_plan_id):
    # As a LIKE wildcard "_" would match the 速 of 高速公路; taken literally it matches nothing.
    assert keys(quzhou_client, auth, quzhou_plan_id, q="高_公路") == []


def test_items_filter_by_status(plan, tasks_client, auth):
    item_id = plan.items["T1"]
    tasks_client.patch(
        f"/v1/items/{item_id}", json={"status": "cancelled"}, headers=auth("office", **{"If-Match": '"1"'})
    )
    assert keys(tasks_client, auth, plan.plan_id, status="cancelled") == ["T1"]


def test_items_of_an_unknown_plan_are_404(tasks_client, auth):
    assert tasks_client.get("/v1/plans/424242/items", headers=auth("viewer")).status_code == 404


def test_walking_a_unit_filtered_list_page_by_page_returns_every_item_once(quzhou_client, auth, quzhou_plan_id):
    unit_id = quzhou_client.get("/v1/units", params={"name": "市发改委"}, headers=auth("viewer")).json()["data"][0][
        "id"
    ]
    everything = keys(quzhou_client, auth, quzhou_plan_id, unit_id=unit_id, limit=500)
    walked, cursor = [], None
    while True:
        page = quzhou_client.get(
            f"/v1/plans/{quzhou_plan_id}/items",
            headers=auth("viewer"),
            params={"unit_id": unit_id, "limit": 4, **({"cursor": cursor} if cursor else {})},
        )
        walked += [i["key"] for i in page.json()["data"]]
        if not (cursor := page.json()["next_cursor"]):
            break
    assert walked == everything and len(everything) > 8


def test_the_tree_nests_platforms_under_tasks_with_lead_units(quzhou_client, auth, quzhou_plan_id):
    tree = quzhou_client.get(f"/v1/plans/{quzhou_plan_id}/tree", headers=auth("viewer")).json()
    section_1 = next(node for node in tree if node["key"] == "S1")
    task_1 = section_1["children"][0]
    assert (task_1["key"], task_1["lead_unit"]) == ("T1", "市发改委")
    assert [child["key"] for child in task_1["children"]] == ["P1", "P2"]


def test_office_adds_an_item_under_a_parent_at_the_end(plan, tasks_client, auth):
    response = tasks_client.post(
        f"/v1/plans/{plan.plan_id}/items",
        headers=auth("office"),
        json={
            "key": "T1-a",
            "kind": "platform",
            "title": "配套平台",
            "parent_id": plan.items["T1"],
            "due_on": "2020-10-01",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["original_due_on"] == "2020-10-01"
    assert keys(tasks_client, auth, plan.plan_id, parent_id=plan.items["T1"]) == ["T1-a"]


def test_an_item_key_is_unique_within_its_plan(plan, tasks_client, auth):
    response = tasks_client.post(
        f"/v1/plans/{plan.plan_id}/items", headers=auth("office"), json={"key": "T1", "kind": "task", "title": "重复"}
    )
    assert response.status_code == 409


def test_a_parent_from_another_plan_is_refused(plan, tasks_client, auth):
    other = tasks_client.post(
        "/v1/plans",
        json={"key": "other", "title": "另一计划", "starts_on": "2020-01-01", "ends_on": "2020-12-31"},
        headers=auth("office"),
    ).json()
    response = tasks_client.post(
        f"/v1/plans/{other['id']}/items",
        headers=auth("office"),
        json={"key": "X", "kind": "task", "title": "跨计划", "parent_id": plan.items["T1"]},
    )
    assert response.status_code == 422


def test_an_item_cannot_move_under_its_own_descendant(plan, tasks_client, auth):
    child = tasks_client.post(
        f"/v1/plans/{plan.plan_id}/items",
        headers=auth("office"),
        json={"key": "T1-a", "kind": "platform", "title": "子项", "parent_id": plan.items["T1"]},
    ).json()
    response = tasks_client.patch(
        f"/v1/items/{plan.items['T1']}", json={"parent_id": child["id"]}, headers=auth("office", **{"If-Match": '"1"'})
    )
    assert response.status_code == 422


def test_deleting_an_item_deletes_its_sub_items(plan, tasks_client, auth):
    child = tasks_client.post(
        f"/v1/plans/{plan.plan_id}/items",
        headers=auth("office"),
        json={"key": "T1-a", "kind": "platform", "title": "子项", "parent_id": plan.items["T1"]},
    ).json()
    assert (
        tasks_client.delete(f"/v1/items/{plan.items['T1']}", headers=auth("office", **{"If-Match": '"1"'})).status_code
        == 204
    )
    assert tasks_client.get(f"/v1/items/{child['id']}", headers=auth("viewer")).status_code == 404


def test_changing_the_due_date_keeps_the_original(plan, tasks_client, auth):
    response = tasks_client.patch(
        f"/v1/items/{plan.items['T1']}", json={"due_on": "2021-03-31"}, headers=auth("office", **{"If-Match": '"1"'})
    )
    assert (response.json()["due_on"], response.json()["original_due_on"]) == ("2021-03-31", "2020-12-31")


def test_an_item_key_must_be_url_safe(plan, tasks_client, auth):
    response = tasks_client.post(
        f"/v1/plans/{plan.plan_id}/items",
        headers=auth("office"),
        json={"key": "有 空格", "kind": "task", "title": "坏键"},
    )
    assert response.status_code == 422
