"""Units (责任单位): one unit whatever the spelling, guarded edits, and the items each answers for."""

import pytest

PROBLEM = "application/problem+json"
COUNTIES = ["柯城区", "衢江区", "龙游县", "江山市", "常山县", "开化县"]


def is_problem(response, status):
    return response.status_code == status and response.headers["content-type"].startswith(PROBLEM)


def units_named(client, auth, name, role="viewer"):
    return client.get("/v1/units", params={"name": name}, headers=auth(role)).json()["data"]


def unit_id_of(client, auth, name):
    return units_named(client, auth, name)[0]["id"]


def every_page(client, auth, path, limit, **params):
    pages, cursor = [], None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        page = client.get(path, params=query, headers=auth("viewer")).json()
        pages.append(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


def create_unit(client, auth, name, aliases=(), kind="department"):
    response = client.post(
        "/v1/units", json={"name": name, "kind": kind, "aliases": list(aliases)}, headers=auth("office")
    )
    assert response.status_code == 201, response.text
    return response.json()


def import_plan(client, auth, units, items, key="p1"):
    """A small plan through the import, the one way to give units responsibilities."""
    plan_file = {
        "plan": {"key": key, "title": "试点计划", "starts_on": "2020-01-01", "ends_on": "2025-12-31"},
        "units": [{"name": name, "kind": "department"} for name in units],
        "items": items,
    }
    response = client.post("/v1/plans/import", json=plan_file, headers=auth("office"))
    assert response.status_code == 200, response.text
    return response.json()["plan_id"]


def task(key, *units):
    return {"key": key, "kind": "task", "title": f"任务 {key}", "units": list(units)}


def guarded(client, auth, unit_id):
    """Office headers with the unit's current ETag."""
    etag = client.get(f"/v1/units/{unit_id}", headers=auth("viewer")).headers["ETag"]
    return auth("office", **{"If-Match": etag})


# -- the Quzhou plan ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["市委组织部〔人才办〕", "市委组织部（人才办）", "市委组织部(人才办)", "市委组织部"]
)
def test_every_spelling_of_the_organisation_department_finds_the_one_unit(quzhou_client, auth, spelling):
    found = units_named(quzhou_client, auth, spelling)
    assert [u["name"] for u in found] == ["市委组织部"]


def test_a_unit_lists_its_other_spellings_in_printed_order(quzhou_client, auth):
    unit = units_named(quzhou_client, auth, "市委组织部")[0]
    assert unit["aliases"] == ["市委组织部〔人才办〕", "市委组织部（人才办）"]
    assert units_named(quzhou_client, auth, "市科技局")[0]["aliases"] == []


def test_the_six_counties_are_of_kind_county(quzhou_client, auth):
    counties = [u["name"] for page in every_page(quzhou_client, auth, "/v1/units", 500, kind="county") for u in page]
    assert set(COUNTIES) <= set(counties)
    assert all(units_named(quzhou_client, auth, name)[0]["kind"] == "county" for name in COUNTIES)


def test_q_finds_units_by_text_in_their_name(quzhou_client, auth):
    found = quzhou_client.get("/v1/units", params={"q": "组织部"}, headers=auth("viewer")).json()["data"]
    assert [u["name"] for u in found] == ["市委组织部"]


def test_the_business_environment_office_leads_task_24(quzhou_client, auth):
    unit_id = unit_id_of(quzhou_client, auth, "市营商办")
    rows = [r for page in every_page(quzhou_client, auth, f"/v1/units/{unit_id}/items", 500) for r in page]
    t24 = next(r for r in rows if r["key"] == "T24")
    assert t24["role"] == "lead"
    assert t24["acknowledged_at"] is None
    assert {"id", "plan_id", "parent_id", "number", "title", "status", "due_on", "version"} <= set(t24)


def test_a_unit_reads_its_own_items_filtered_by_role(quzhou_client, auth, quzhou_plan_id):
    unit_id = unit_id_of(quzhou_client, auth, "市发改委")
    response = quzhou_client.get(
        f"/v1/units/{unit_id}/items",
        params={"role": "co", "plan_id": quzhou_plan_id},
        headers=auth("unit", unit_id=unit_id),
    )
    assert response.status_code == 200
    assert response.json()["data"] and all(r["role"] == "co" for r in response.json()["data"])


def test_units_page_through_every_unit_once(quzhou_client, auth):
    pages = every_page(quzhou_client, auth, "/v1/units", 20)
    ids = [u["id"] for page in pages for u in page]
    assert len(pages) > 2 and all(len(page) == 20 for page in pages[:-1])
    assert ids == sorted(set(ids))


# -- registering units ------------------------------------------------------------------------------


def test_staff_registers_a_unit_with_its_aliases(tasks_client, auth):
    response = tasks_client.post(
        "/v1/units",
        json={
            "name": "市委组织部",
            "kind": "department",
            "aliases": ["市委组织部〔人才办〕"],
            "contact_person": "李四",
        },
        headers=auth("office"),
    )
    assert response.status_code == 201
    unit = response.json()
    assert response.headers["Location"] == f"/v1/units/{unit['id']}"
    assert response.headers["ETag"] == '"1"'
    assert unit["aliases"] == ["市委组织部〔人才办〕"] and unit["contact_person"] == "李四"
    assert units_named(tasks_client, auth, "市委组织部（人才办）") == [unit]


def test_a_unit_whose_alias_resolves_to_another_unit_is_refused_and_nothing_is_created(tasks_client, auth):
    create_unit(tasks_client, auth, "市委组织部", ["市委组织部〔人才办〕"])
    response = tasks_client.post(
        "/v1/units",
        json={"name": "市人才办", "kind": "office", "aliases": ["市委组织部（人才办）"]},
        headers=auth("office"),
    )
    assert is_problem(response, 409)
    assert "市委组织部" in response.json()["detail"]
    assert units_named(tasks_client, auth, "市人才办") == []
    assert len(tasks_client.get("/v1/units", headers=auth("viewer")).json()["data"]) == 1


def test_a_unit_named_like_another_units_spelling_is_refused(tasks_client, auth):
    create_unit(tasks_client, auth, "市委组织部", ["市委组织部〔人才办〕"])
    response = tasks_client.post(
        "/v1/units", json={"name": "市委组织部(人才办)", "kind": "office"}, headers=auth("office")
    )
    assert is_problem(response, 409)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "市科技局", "kind": "ministry"},
        {"name": "", "kind": "department"},
        {"name": " \u3000", "kind": "department"},
        {"name": "市科技局", "kind": "department", "aliases": ["  "]},
        {"name": "市科技局", "kind": "department", "aliases": ["局" * 101]},
        {"name": "市科技局", "kind": "department", "colour": "red"},
    ],
)
def test_an_invalid_unit_is_refused(tasks_client, auth, body):
    assert is_problem(tasks_client.post("/v1/units", json=body, headers=auth("office")), 422)


@pytest.mark.parametrize("role", ["viewer", "service", "unit"])
def test_only_staff_register_units(tasks_client, auth, role):
    response = tasks_client.post(
        "/v1/units",
        json={"name": "市科技局", "kind": "department"},
        headers=auth(role, unit_id=1 if role == "unit" else None),
    )
    assert is_problem(response, 403)


def test_units_need_a_token(tasks_client):
    assert is_problem(tasks_client.get("/v1/units"), 401)
    assert is_problem(tasks_client.post("/v1/units", json={"name": "市科技局", "kind": "department"}), 401)


def test_unit_list_pages_across_pages(tasks_client, auth):
    for name in ["市科技局", "市经信局", "市财政局"]:
        create_unit(tasks_client, auth, name)
    pages = every_page(tasks_client, auth, "/v1/units", 2)
    assert [[u["name"] for u in page] for page in pages] == [["市科技局", "市经信局"], ["市财政局"]]


def test_unit_list_refuses_a_forged_cursor_and_unknown_parameters(tasks_client, auth):
    assert is_problem(tasks_client.get("/v1/units", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=auth("viewer")), 400)
    assert is_problem(tasks_client.get("/v1/units", params={"colour": "red"}, headers=auth("viewer")), 400)


# -- reading and changing a unit --------------------------------------------------------------------


def test_reading_a_unit_gives_its_etag(tasks_client, auth):
    unit = create_unit(tasks_client, auth, "市科技局")
    response = tasks_client.get(f"/v1/units/{unit['id']}", headers=auth("unit", unit_id=unit["id"]))
    assert response.status_code == 200 and response.headers["ETag"] == '"1"'
    assert response.json() == unit


def test_an_unknown_unit_is_not_found(tasks_client, auth):
    assert is_problem(tasks_client.get("/v1/units/999", headers=auth("viewer")), 404)
    assert is_problem(
        tasks_client.patch("/v1/units/999", json={"kind": "office"}, headers=auth("office", **{"If-Match": '"1"'})), 404
    )
    assert is_problem(tasks_client.delete("/v1/units/999", headers=auth("office", **{"If-Match": '"1"'})), 404)
    assert is_problem(tasks_client.get("/v1/units/999/items", headers=auth("viewer")), 404)


def test_patching_aliases_replaces_the_other_spellings(tasks_client, auth):
    unit = create_unit(tasks_client, auth, "绿色产业集聚区", ["绿色集聚区"])
    response = tasks_client.patch(
        f"/v1/units/{unit['id']}",
        json={"aliases": ["衢州绿色产业集聚区"]},
        headers=guarded(tasks_client, auth, unit["id"]),
    )
    assert response.status_code == 200
    assert response.json()["aliases"] == ["衢州绿色产业集聚区"]
    assert units_named(tasks_client, auth, "绿色集聚区") == []
    assert units_named(tasks_client, auth, "衢州绿色产业集聚区")[0]["id"] == unit["id"]


def test_changing_only_the_aliases_moves_the_etag(tasks_client, auth):
    unit = create_unit(tasks_client, auth, "市科技局")
    response = tasks_client.patch(
        f"/v1/units/{unit['id']}", json={"aliases": ["衢州市科技局"]}, headers=auth("office", **{"If-Match": '"1"'})
    )
    assert response.headers["ETag"] == '"2"'
    assert tasks_client.get(f"/v1/units/{unit['id']}", headers=auth("viewer")).json()["version"] == 2


def test_a_renamed_unit_no_longer_answers_to_its_old_name(tasks_client, auth):
    unit = create_unit(tasks_client, auth, "市商务局", ["衢州市商务局"])
    tasks_client.patch(
        f"/v1/units/{unit['id']}",
        json={"name": "市商务局（市口岸办）"},
        headers=guarded(tasks_client, auth, unit["id"]),
    )
    assert units_named(tasks_client, auth, "市商务局") == []
    assert units_named(tasks_client, auth, "衢州市商务局")[0]["name"] == "市商务局（市口岸办）"


def test_a_renamed_unit_keeps_its_old_name_when_listed_as_an_alias(tasks_client, auth):
    unit = create_unit(tasks_client, auth, "市商务局")
    response = tasks_client.patch(
        f"/v1/units/{unit['id']}",
        json={"name": "市商务局（市口岸办）", "aliases": ["市商务局"]},
        headers=guarded(tasks_client, auth, unit["id"]),
    )
    assert response.json()["aliases"] == ["市商务局"]
    assert units_named(tasks_client, auth, "市商务局")[0]["name"] == "市商务局（市口岸办）"


def test_a_patch_taking_another_units_spelling_is_refused_and_changes_nothing(tasks_client, auth):
    create_unit(tasks_client, auth, "市委组织部")
    unit = create_unit(tasks_client, auth, "市人才办")
    response = tasks_client.patch(
        f"/v1/units/{unit['id']}",
        json={"kind": "office", "aliases": ["市委组织部"]},
        headers=guarded(tasks_client, auth, unit["id"]),
    )
    assert is_problem(response, 409)
    after = tasks_client.get(f"/v1/units/{unit['id']}", headers=auth("viewer")).json()
    assert after == unit


def test_alias_changes_are_in_the_units_history(tasks_client, auth):
    unit = create_unit(tasks_client, auth, "市科技局")
    tasks_client.patch(
        f"/v1/units/{unit['id']}", json={"aliases": ["衢州市科技局"]}, headers=auth("office", **{"If-Match": '"1"'})
    )
    history = tasks_client.get(f"/v1/history/unit/{unit['id']}", headers=auth("office")).json()["data"]
    assert history[-1]["changes"] == {"aliases": [[], ["衢州市科技局"]]}


def test_a_unit_change_needs_if_match(tasks_client, auth):
    unit = create_unit(tasks_client, auth, "市科技局")
    assert is_problem(
        tasks_client.patch(f"/v1/units/{unit['id']}", json={"kind": "office"}, headers=auth("office")), 428
    )
    assert is_problem(tasks_client.delete(f"/v1/units/{unit['id']}", headers=auth("office")), 428)


def test_a_unit_change_on_a_stale_version_is_refused(tasks_client, auth):
    create_unit(tasks_client, auth, "市委组织部")
    unit = create_unit(tasks_client, auth, "市科技局")
    stale = auth("office", **{"If-Match": '"7"'})
    assert is_problem(tasks_client.patch(f"/v1/units/{unit['id']}", json={"kind": "office"}, headers=stale), 412)
    # stale wins over a spelling conflict: the caller must first see the unit as it now is
    assert is_problem(
        tasks_client.patch(f"/v1/units/{unit['id']}", json={"aliases": ["市委组织部"]}, headers=stale), 412
    )
    assert is_problem(tasks_client.delete(f"/v1/units/{unit['id']}", headers=stale), 412)


def test_a_unit_patch_with_an_unknown_field_or_null_name_is_refused(tasks_client, auth):
    unit = create_unit(tasks_client, auth, "市科技局")
    headers = guarded(tasks_client, auth, unit["id"])
    assert is_problem(tasks_client.patch(f"/v1/units/{unit['id']}", json={"colour": "red"}, headers=headers), 422)
    assert is_problem(tasks_client.patch(f"/v1/units/{unit['id']}", json={"name": None}, headers=headers), 422)


@pytest.mark.parametrize("role", ["viewer", "unit"])
def test_only_staff_change_or_delete_units(tasks_client, auth, role):
    unit = create_unit(tasks_client, auth, "市科技局")
    headers = auth(role, unit_id=unit["id"] if role == "unit" else None, **{"If-Match": '"1"'})
    assert is_problem(tasks_client.patch(f"/v1/units/{unit['id']}", json={"kind": "office"}, headers=headers), 403)
    assert is_problem(tasks_client.delete(f"/v1/units/{unit['id']}", headers=headers), 403)


def test_deleting_a_unit_frees_its_spellings(tasks_client, auth):
    unit = create_unit(tasks_client, auth, "市科技局", ["衢州市科技局"])
    assert (
        tasks_client.delete(f"/v1/units/{unit['id']}", headers=guarded(tasks_client, auth, unit["id"])).status_code
        == 204
    )
    assert is_problem(tasks_client.get(f"/v1/units/{unit['id']}", headers=auth("viewer")), 404)
    assert create_unit(tasks_client, auth, "衢州市科技局")["aliases"] == []


def test_a_unit_still_responsible_for_items_cannot_be_deleted(tasks_client, auth):
    import_plan(tasks_client, auth, ["市营商办"], [task("T1", "市营商办")])
    unit_id = unit_id_of(tasks_client, auth, "市营商办")
    response = tasks_client.delete(f"/v1/units/{unit_id}", headers=guarded(tasks_client, auth, unit_id))
    assert is_problem(response, 409)
    assert "市营商办" in response.json()["detail"]
    assert tasks_client.get(f"/v1/units/{unit_id}", headers=auth("viewer")).status_code == 200


# -- the items of a unit ----------------------------------------------------------------------------


def test_a_unit_token_cannot_read_another_units_items(tasks_client, auth):
    mine, theirs = create_unit(tasks_client, auth, "市科技局"), create_unit(tasks_client, auth, "市经信局")
    response = tasks_client.get(f"/v1/units/{theirs['id']}/items", headers=auth("unit", unit_id=mine["id"]))
    assert is_problem(response, 403)
    assert is_problem(tasks_client.get(f"/v1/units/{theirs['id']}/items"), 401)


def test_a_unit_reads_its_items_with_its_role_across_pages(tasks_client, auth):
    import_plan(
        tasks_client,
        auth,
        ["市营商办", "市发改委"],
        [task("T1", "市营商办"), task("T2", "市发改委", "市营商办"), task("T3", "市营商办", "市发改委")],
    )
    unit_id = unit_id_of(tasks_client, auth, "市营商办")
    first = tasks_client.get(f"/v1/units/{unit_id}/items", params={"limit": 2}, headers=auth("unit", unit_id=unit_id))
    page = first.json()
    assert [(r["key"], r["role"]) for r in page["data"]] == [("T1", "lead"), ("T2", "co")]
    assert 'rel="next"' in first.headers["Link"]
    second = tasks_client.get(
        f"/v1/units/{unit_id}/items",
        params={"limit": 2, "cursor": page["next_cursor"]},
        headers=auth("unit", unit_id=unit_id),
    ).json()
    assert [(r["key"], r["role"]) for r in second["data"]] == [("T3", "lead")] and second["next_cursor"] is None


def test_a_units_items_filter_by_plan_and_role(tasks_client, auth):
    first = import_plan(
        tasks_client, auth, ["市营商办", "市发改委"], [task("T1", "市营商办"), task("T2", "市发改委", "市营商办")]
    )
    import_plan(tasks_client, auth, ["市营商办"], [task("T1", "市营商办")], key="p2")
    unit_id = unit_id_of(tasks_client, auth, "市营商办")
    rows = tasks_client.get(
        f"/v1/units/{unit_id}/items", params={"plan_id": first, "role": "lead"}, headers=auth("office")
    ).json()["data"]
    assert [(r["plan_id"], r["key"]) for r in rows] == [(first, "T1")]
    assert is_problem(
        tasks_client.get(f"/v1/units/{unit_id}/items", params={"role": "boss"}, headers=auth("office")), 422
    )
