"""Leaders, groups and their members in printed order, with every membership change in the group's history."""

import pytest

PROBLEM = "application/problem+json"


def is_problem(response, status):
    return response.status_code == status and response.headers["content-type"].startswith(PROBLEM)


def every_row(client, auth, path, limit=500, **params):
    rows, cursor = [], None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        page = client.get(path, params=query, headers=auth("viewer")).json()
        rows += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def group_named(client, auth, plan_id, name):
    return next(g for g in every_row(client, auth, "/v1/groups", plan_id=plan_id) if g["name"] == name)


def seats(client, auth, group_id, limit=500):
    return [(m["leader_name"], m["role"]) for m in every_row(client, auth, f"/v1/groups/{group_id}/members", limit)]


def created(response):
    assert response.status_code == 201, response.text
    return response.json()


def new_leader(client, auth, name, **fields):
    return created(client.post("/v1/leaders", json={"name": name, **fields}, headers=auth("office")))


def new_plan(client, auth, key="p1"):
    return created(
        client.post(
            "/v1/plans",
            json={"key": key, "title": "试点计划", "starts_on": "2020-01-01", "ends_on": "2025-12-31"},
            headers=auth("office"),
        )
    )["id"]


def new_group(client, auth, plan_id, key="tg-digital", kind="thematic", **fields):
    body = {"plan_id": plan_id, "key": key, "name": "数字经济专题组", "kind": kind, **fields}
    return created(client.post("/v1/groups", json=body, headers=auth("office")))


def seat(client, auth, group_id, leader_id, role="成员"):
    return client.post(
        f"/v1/groups/{group_id}/members", json={"leader_id": leader_id, "role": role}, headers=auth("office")
    )


def if_match(client, auth, path):
    return auth("office", **{"If-Match": client.get(path, headers=auth("viewer")).headers["ETag"]})


# -- the Quzhou plan ---------------------------------------------------------------------------------


def test_the_digital_economy_group_has_its_four_leaders_in_printed_order(quzhou_client, auth, quzhou_plan_id):
    group = group_named(quzhou_client, auth, quzhou_plan_id, "数字经济专题组")
    assert seats(quzhou_client, auth, group["id"]) == [
        ("田俊", "牵头市领导"),
        ("张钢", "组长"),
        ("蒋建平", "副组长"),
        ("王让定", "副组长"),
    ]


def test_members_carry_their_leaders_title(quzhou_client, auth, quzhou_plan_id):
    group = group_named(quzhou_client, auth, quzhou_plan_id, "数字经济专题组")
    member = quzhou_client.get(f"/v1/groups/{group['id']}/members", headers=auth("viewer")).json()["data"][0]
    leader = quzhou_client.get(f"/v1/leaders/{member['leader_id']}", headers=auth("viewer")).json()
    assert member["leader_title"] == leader["title"] and member["leader_title"]


def test_the_leading_group_is_chaired_by_xu_wenguang_with_tang_feifan_first_deputy(quzhou_client, auth, quzhou_plan_id):
    leading = every_row(quzhou_client, auth, "/v1/groups", plan_id=quzhou_plan_id, kind="leading")
    assert len(leading) == 1
    assert seats(quzhou_client, auth, leading[0]["id"])[:2] == [("徐文光", "组长"), ("汤飞帆", "第一副组长")]


def test_the_plan_has_nine_thematic_groups(quzhou_client, auth, quzhou_plan_id):
    assert len(every_row(quzhou_client, auth, "/v1/groups", plan_id=quzhou_plan_id, kind="thematic")) == 9


def test_members_page_in_printed_order(quzhou_client, auth, quzhou_plan_id):
    leading = every_row(quzhou_client, auth, "/v1/groups", plan_id=quzhou_plan_id, kind="leading")[0]
    path = f"/v1/groups/{leading['id']}/members"
    first = quzhou_client.get(path, headers=auth("viewer")).json()
    assert len(first["data"]) == 50 and first["next_cursor"]
    assert seats(quzhou_client, auth, leading["id"], limit=7) == seats(quzhou_client, auth, leading["id"])


def test_leaders_filter_by_name(quzhou_client, auth):
    found = quzhou_client.get("/v1/leaders", params={"name": "田俊"}, headers=auth("viewer")).json()["data"]
    assert [leader["name"] for leader in found] == ["田俊"]


# -- leaders ----------------------------------------------------------------------------------------


def test_staff_register_a_leader(tasks_client, auth):
    response = tasks_client.post("/v1/leaders", json={"name": "田俊", "title": "副市长"}, headers=auth("office"))
    leader = created(response)
    assert response.headers["Location"] == f"/v1/leaders/{leader['id']}"
    assert response.headers["ETag"] == '"1"'
    assert tasks_client.get(f"/v1/leaders/{leader['id']}", headers=auth("viewer")).json() == leader


@pytest.mark.parametrize("role", ["viewer", "service", "unit"])
def test_only_staff_register_leaders(tasks_client, auth, role):
    response = tasks_client.post(
        "/v1/leaders", json={"name": "田俊"}, headers=auth(role, unit_id=1 if role == "unit" else None)
    )
    assert is_problem(response, 403)


def test_people_need_a_token(tasks_client):
    for path in ["/v1/leaders", "/v1/groups", "/v1/leaders/1", "/v1/groups/1", "/v1/groups/1/members"]:
        assert is_problem(tasks_client.get(path), 401)


@pytest.mark.parametrize("body", [{"name": ""}, {"name": "田俊", "rank": 1}, {"name": "田俊", "unit_id": 999}])
def test_an_invalid_leader_is_refused(tasks_client, auth, body):
    assert is_problem(tasks_client.post("/v1/leaders", json=body, headers=auth("office")), 422)


def test_two_leaders_cannot_share_a_name(tasks_client, auth):
    new_leader(tasks_client, auth, "田俊")
    assert is_problem(tasks_client.post("/v1/leaders", json={"name": "田俊"}, headers=auth("office")), 409)


def test_a_leader_takes_a_unit(tasks_client, auth):
    unit = created(
        tasks_client.post("/v1/units", json={"name": "市发改委", "kind": "department"}, headers=auth("office"))
    )
    leader = new_leader(tasks_client, auth, "王盛洪")
    response = tasks_client.patch(
        f"/v1/leaders/{leader['id']}",
        json={"unit_id": unit["id"], "title": "主任"},
        headers=auth("office", **{"If-Match": '"1"'}),
    )
    assert response.status_code == 200 and response.headers["ETag"] == '"2"'
    assert response.json() | {} == {**leader, "unit_id": unit["id"], "title": "主任", "version": 2}
    assert is_problem(
        tasks_client.patch(
            f"/v1/leaders/{leader['id']}", json={"unit_id": 999}, headers=auth("office", **{"If-Match": '"2"'})
        ),
        422,
    )


def test_a_leader_change_needs_a_current_if_match(tasks_client, auth):
    leader = new_leader(tasks_client, auth, "田俊")
    path = f"/v1/leaders/{leader['id']}"
    assert is_problem(tasks_client.patch(path, json={"title": "市长"}, headers=auth("office")), 428)
    assert is_problem(
        tasks_client.patch(path, json={"title": "市长"}, headers=auth("office", **{"If-Match": '"9"'})), 412
    )
    assert is_problem(tasks_client.delete(path, headers=auth("office")), 428)
    assert is_problem(tasks_client.delete(path, headers=auth("office", **{"If-Match": '"9"'})), 412)


def test_only_staff_change_or_delete_leaders(tasks_client, auth):
    leader = new_leader(tasks_client, auth, "田俊")
    headers = auth("viewer", **{"If-Match": '"1"'})
    assert is_problem(tasks_client.patch(f"/v1/leaders/{leader['id']}", json={"title": "市长"}, headers=headers), 403)
    assert is_problem(tasks_client.delete(f"/v1/leaders/{leader['id']}", headers=headers), 403)


def test_a_deleted_leader_is_gone(tasks_client, auth):
    leader = new_leader(tasks_client, auth, "田俊")
    path = f"/v1/leaders/{leader['id']}"
    assert tasks_client.delete(path, headers=auth("office", **{"If-Match": '"1"'})).status_code == 204
    assert is_problem(tasks_client.get(path, headers=auth("viewer")), 404)
    assert is_problem(
        tasks_client.patch(path, json={"title": "市长"}, headers=auth("office", **{"If-Match": '"1"'})), 404
    )


def test_a_leader_who_sits_in_a_group_cannot_be_deleted(tasks_client, auth):
    leader = new_leader(tasks_client, auth, "田俊")
    group = new_group(tasks_client, auth, new_plan(tasks_client, auth))
    seat(tasks_client, auth, group["id"], leader["id"], "牵头市领导")
    response = tasks_client.delete(f"/v1/leaders/{leader['id']}", headers=auth("office", **{"If-Match": '"1"'}))
    assert is_problem(response, 409) and "田俊" in response.json()["detail"]


def test_leaders_page_across_pages(tasks_client, auth):
    for name in ["田俊", "张钢", "蒋建平"]:
        new_leader(tasks_client, auth, name)
    first = tasks_client.get("/v1/leaders", params={"limit": 2}, headers=auth("viewer")).json()
    second = tasks_client.get(
        "/v1/leaders", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth("viewer")
    ).json()
    assert [leader["name"] for leader in first["data"] + second["data"]] == ["田俊", "张钢", "蒋建平"]
    assert second["next_cursor"] is None


# -- groups -----------------------------------------------------------------------------------------


def test_staff_set_up_a_group_of_a_plan(tasks_client, auth):
    plan_id = new_plan(tasks_client, auth)
    response = tasks_client.post(
        "/v1/groups",
        json={"plan_id": plan_id, "key": "tg-digital", "name": "数字经济专题组", "kind": "thematic"},
        headers=auth("office"),
    )
    group = created(response)
    assert response.headers["Location"] == f"/v1/groups/{group['id']}" and response.headers["ETag"] == '"1"'
    assert tasks_client.get(f"/v1/groups/{group['id']}", headers=auth("viewer")).json() == group


def test_a_group_of_an_unknown_plan_is_refused(tasks_client, auth):
    response = tasks_client.post(
        "/v1/groups", json={"plan_id": 999, "key": "g", "name": "组", "kind": "thematic"}, headers=auth("office")
    )
    assert is_problem(response, 422) and "Plan 999" in response.json()["detail"]


@pytest.mark.parametrize("fields", [{"kind": "club"}, {"key": "has space"}, {"unit_id": 999}, {"size": 3}])
def test_an_invalid_group_is_refused(tasks_client, auth, fields):
    body = {"plan_id": new_plan(tasks_client, auth), "key": "g", "name": "组", "kind": "thematic", **fields}
    assert is_problem(tasks_client.post("/v1/groups", json=body, headers=auth("office")), 422)


def test_a_group_key_is_unique_within_its_plan(tasks_client, auth):
    plan_id = new_plan(tasks_client, auth)
    new_group(tasks_client, auth, plan_id)
    body = {"plan_id": plan_id, "key": "tg-digital", "name": "另一个组", "kind": "thematic"}
    assert is_problem(tasks_client.post("/v1/groups", json=body, headers=auth("office")), 409)
    new_group(tasks_client, auth, new_plan(tasks_client, auth, key="p2"))


def test_only_staff_set_up_change_or_delete_groups(tasks_client, auth):
    group = new_group(tasks_client, auth, new_plan(tasks_client, auth))
    headers = auth("unit", unit_id=1, **{"If-Match": '"1"'})
    body = {"plan_id": group["plan_id"], "key": "g2", "name": "组", "kind": "thematic"}
    assert is_problem(tasks_client.post("/v1/groups", json=body, headers=headers), 403)
    assert is_problem(tasks_client.patch(f"/v1/groups/{group['id']}", json={"name": "组"}, headers=headers), 403)
    assert is_problem(tasks_client.delete(f"/v1/groups/{group['id']}", headers=headers), 403)


def test_groups_filter_by_plan_and_kind_across_pages(tasks_client, auth):
    plan_id, other = new_plan(tasks_client, auth), new_plan(tasks_client, auth, key="p2")
    for key in ["g1", "g2", "g3"]:
        new_group(tasks_client, auth, plan_id, key=key)
    new_group(tasks_client, auth, plan_id, key="lead", kind="leading")
    new_group(tasks_client, auth, other, key="g1")
    keys = [g["key"] for g in every_row(tasks_client, auth, "/v1/groups", 2, plan_id=plan_id, kind="thematic")]
    assert keys == ["g1", "g2", "g3"]


def test_a_group_change_needs_a_current_if_match(tasks_client, auth):
    group = new_group(tasks_client, auth, new_plan(tasks_client, auth))
    path = f"/v1/groups/{group['id']}"
    assert is_problem(tasks_client.patch(path, json={"name": "新名"}, headers=auth("office")), 428)
    assert is_problem(
        tasks_client.patch(path, json={"name": "新名"}, headers=auth("office", **{"If-Match": '"5"'})), 412
    )
    assert is_problem(tasks_client.delete(path, headers=auth("office")), 428)
    response = tasks_client.patch(path, json={"name": "新名"}, headers=auth("office", **{"If-Match": '"1"'}))
    assert response.status_code == 200 and response.json()["name"] == "新名" and response.headers["ETag"] == '"2"'


def test_a_deleted_group_takes_its_members_with_it(tasks_client, auth):
    group = new_group(tasks_client, auth, new_plan(tasks_client, auth))
    leader = new_leader(tasks_client, auth, "田俊")
    seat(tasks_client, auth, group["id"], leader["id"])
    path = f"/v1/groups/{group['id']}"
    assert tasks_client.delete(path, headers=if_match(tasks_client, auth, path)).status_code == 204
    assert is_problem(tasks_client.get(path, headers=auth("viewer")), 404)
    assert is_problem(tasks_client.get(f"{path}/members", headers=auth("viewer")), 404)
    assert (
        tasks_client.delete(f"/v1/leaders/{leader['id']}", headers=auth("office", **{"If-Match": '"1"'})).status_code
        == 204
    )


def test_an_unknown_group_is_not_found(tasks_client, auth):
    headers = auth("office", **{"If-Match": '"1"'})
    assert is_problem(tasks_client.get("/v1/groups/999", headers=auth("viewer")), 404)
    assert is_problem(tasks_client.patch("/v1/groups/999", json={"name": "组"}, headers=headers), 404)
    assert is_problem(tasks_client.delete("/v1/groups/999", headers=headers), 404)
    assert is_problem(seat(tasks_client, auth, 999, 1), 404)


# -- members ----------------------------------------------------------------------------------------


def test_members_are_seated_after_the_last_one(tasks_client, auth):
    group = new_group(tasks_client, auth, new_plan(tasks_client, auth))
    for name, role in [("田俊", "牵头市领导"), ("张钢", "组长"), ("蒋建平", "副组长")]:
        response = seat(tasks_client, auth, group["id"], new_leader(tasks_client, auth, name, title="职务")["id"], role)
        member = created(response)
        assert response.headers["Location"] == f"/v1/groups/{group['id']}/members/{member['id']}"
        assert member["leader_name"] == name and member["leader_title"] == "职务"
    assert seats(tasks_client, auth, group["id"], limit=2) == [
        ("田俊", "牵头市领导"),
        ("张钢", "组长"),
        ("蒋建平", "副组长"),
    ]


def test_a_leader_may_hold_two_roles_but_not_the_same_role_twice(tasks_client, auth):
    group = new_group(tasks_client, auth, new_plan(tasks_client, auth))
    leader = new_leader(tasks_client, auth, "张钢")
    created(seat(tasks_client, auth, group["id"], leader["id"], "组长"))
    created(seat(tasks_client, auth, group["id"], leader["id"], "成员"))
    assert is_problem(seat(tasks_client, auth, group["id"], leader["id"], "组长"), 409)
    assert seats(tasks_client, auth, group["id"]) == [("张钢", "组长"), ("张钢", "成员")]


@pytest.mark.parametrize(
    "body",
    [{"leader_id": 999, "role": "组长"}, {"leader_id": 1, "role": ""}, {"leader_id": 1, "role": "组长", "rank": 1}],
)
def test_an_invalid_member_is_refused(tasks_client, auth, body):
    group = new_group(tasks_client, auth, new_plan(tasks_client, auth))
    response = tasks_client.post(f"/v1/groups/{group['id']}/members", json=body, headers=auth("office"))
    assert is_problem(response, 422)


def test_only_staff_seat_or_remove_members(tasks_client, auth):
    group = new_group(tasks_client, auth, new_plan(tasks_client, auth))
    member = created(seat(tasks_client, auth, group["id"], new_leader(tasks_client, auth, "田俊")["id"]))
    path = f"/v1/groups/{group['id']}/members"
    body = {"leader_id": member["leader_id"], "role": "组长"}
    assert is_problem(tasks_client.post(path, json=body, headers=auth("viewer")), 403)
    assert is_problem(tasks_client.delete(f"{path}/{member['id']}", headers=auth("viewer")), 403)
    assert is_problem(tasks_client.post(path, json=body), 401)


def test_a_removed_member_leaves_the_list(tasks_client, auth):
    group = new_group(tasks_client, auth, new_plan(tasks_client, auth))
    first = created(seat(tasks_client, auth, group["id"], new_leader(tasks_client, auth, "田俊")["id"], "组长"))
    created(seat(tasks_client, auth, group["id"], new_leader(tasks_client, auth, "张钢")["id"], "副组长"))
    response = tasks_client.delete(f"/v1/groups/{group['id']}/members/{first['id']}", headers=auth("office"))
    assert response.status_code == 204
    assert seats(tasks_client, auth, group["id"]) == [("张钢", "副组长")]


def test_a_member_of_another_group_cannot_be_removed_through_this_one(tasks_client, auth):
    plan_id = new_plan(tasks_client, auth)
    group, other = new_group(tasks_client, auth, plan_id), new_group(tasks_client, auth, plan_id, key="g2")
    member = created(seat(tasks_client, auth, other["id"], new_leader(tasks_client, auth, "田俊")["id"]))
    response = tasks_client.delete(f"/v1/groups/{group['id']}/members/{member['id']}", headers=auth("office"))
    assert is_problem(response, 404)
    assert seats(tasks_client, auth, other["id"]) == [("田俊", "成员")]


def test_membership_changes_are_in_the_groups_history(tasks_client, auth):
    group = new_group(tasks_client, auth, new_plan(tasks_client, auth))
    tian, zhang = new_leader(tasks_client, auth, "田俊"), new_leader(tasks_client, auth, "张钢")
    member = created(seat(tasks_client, auth, group["id"], tian["id"], "组长"))
    seat(tasks_client, auth, group["id"], zhang["id"], "副组长")
    tasks_client.delete(f"/v1/groups/{group['id']}/members/{member['id']}", headers=auth("office"))
    history = tasks_client.get(f"/v1/history/group/{group['id']}", headers=auth("office")).json()["data"]
    assert [h["changes"] for h in history[1:]] == [
        {"members": [[], [[tian["id"], "组长"]]]},
        {"members": [[[tian["id"], "组长"]], [[tian["id"], "组长"], [zhang["id"], "副组长"]]]},
        {"members": [[[tian["id"], "组长"], [zhang["id"], "副组长"]], [[zhang["id"], "副组长"]]]},
    ]
    assert all(h["actor"] == "test-office-0" for h in history)


def test_a_member_list_refuses_a_forged_cursor(tasks_client, auth):
    group = new_group(tasks_client, auth, new_plan(tasks_client, auth))
    for cursor in ["bm90LWEtY3Vyc29y", "Mw"]:  # "not-a-cursor", and 3 (an id cursor, not a (position, id) pair)
        response = tasks_client.get(
            f"/v1/groups/{group['id']}/members", params={"cursor": cursor}, headers=auth("viewer")
        )
        assert is_problem(response, 400)
