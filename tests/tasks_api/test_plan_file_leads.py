"""A plan file says who leads an item (牵头单位): by order (the first unit named leads), or, where order cannot say it,
by a role named on its units. An export names the roles where the order does not say who leads, so that importing it
keeps every lead where it was, an item with no lead yet included, and re-importing it onto its plan changes nothing."""

import copy

from tests.problems import assert_problem
from tests.tasks_api.factories import SMALL_PLAN, import_small_plan


def roles(client, headers, item_id):
    rows = client.get(f"/v1/items/{item_id}/responsibilities", headers=headers).json()["data"]
    return {row["unit_name"]: row["role"] for row in rows}


def entry_of(exported, key):
    return next(i for s in exported["items"] for i in [s, *s.get("children", [])] if i["key"] == key)


def named_roles(entry):
    """The (unit, role) of each unit of an exported item that names its role."""
    return [(unit["unit"], unit["role"]) for unit in entry["units"]]


def assign(client, office, item_id, unit_id, role):
    response = client.post(
        f"/v1/items/{item_id}/responsibilities", json={"unit_id": unit_id, "role": role}, headers=office
    )
    assert response.status_code == 201, response.text


def unassign(client, office, item_id, responsibility_id):
    assert client.delete(f"/v1/items/{item_id}/responsibilities/{responsibility_id}", headers=office).status_code == 204


def lead_named_last(client, auth):
    """T2: the office adds a co-operating unit, removes the lead, then names a new lead (the last in position)."""
    office, plan = auth("office"), import_small_plan(client, auth)
    t2 = plan.items["T2"]
    assign(client, office, t2, plan.units["市交通运输局"], "co")
    unassign(client, office, t2, plan.responsibilities["T2", "市水利局"])
    assign(client, office, t2, plan.units["市发改委"], "lead")
    return plan, client.get(f"/v1/plans/{plan.plan_id}/export", headers=office).json()


def imported_copy(client, office, exported):
    copied = copy.deepcopy(exported)
    copied["plan"]["key"] = "test-plan-copy"
    imported = client.post("/v1/plans/import", json=copied, headers=office)
    assert imported.status_code == 200, imported.text
    items = client.get(f"/v1/plans/{imported.json()['plan_id']}/items", headers=office).json()["data"]
    return {item["key"]: item["id"] for item in items}


def test_an_export_names_the_roles_of_an_item_whose_lead_is_not_first(tasks_client, auth):
    _, exported = lead_named_last(tasks_client, auth)

    assert named_roles(entry_of(exported, "T2")) == [("市交通运输局", "co"), ("市发改委", "lead")]


def test_an_export_of_items_led_by_their_first_unit_names_no_roles(tasks_client, auth):
    plan = import_small_plan(tasks_client, auth)
    exported = tasks_client.get(f"/v1/plans/{plan.plan_id}/export", headers=auth("office")).json()

    assert entry_of(exported, "T1")["units"] == ["市交通运输局", "市发改委"]


def test_importing_an_export_keeps_a_lead_named_after_the_co_operating_units(tasks_client, auth):
    _, exported = lead_named_last(tasks_client, auth)

    copy_ids = imported_copy(tasks_client, auth("office"), exported)

    assert roles(tasks_client, auth("office"), copy_ids["T2"]) == {"市交通运输局": "co", "市发改委": "lead"}


def test_re_importing_an_export_onto_its_plan_changes_nothing(tasks_client, auth):
    plan, exported = lead_named_last(tasks_client, auth)

    again = tasks_client.post("/v1/plans/import", json=exported, headers=auth("office"))

    assert again.status_code == 200, again.text
    assert again.json()["counts"] == {}
    assert roles(tasks_client, auth("office"), plan.items["T2"]) == {"市交通运输局": "co", "市发改委": "lead"}


def test_an_item_with_no_lead_yet_is_exported_and_imported_without_one(tasks_client, auth):
    office, plan = auth("office"), import_small_plan(tasks_client, auth)
    unassign(tasks_client, office, plan.items["T1"], plan.responsibilities["T1", "市交通运输局"])
    exported = tasks_client.get(f"/v1/plans/{plan.plan_id}/export", headers=office).json()
    assert named_roles(entry_of(exported, "T1")) == [("市发改委", "co")]

    copy_ids = imported_copy(tasks_client, office, exported)

    assert roles(tasks_client, office, copy_ids["T1"]) == {"市发改委": "co"}


def test_a_file_naming_two_leads_of_one_item_is_refused(tasks_client, auth):
    two_leads = copy.deepcopy(SMALL_PLAN)
    two_leads["items"][0]["units"] = [{"unit": name, "role": "lead"} for name in ("市交通运输局", "市发改委")]

    assert_problem(tasks_client.post("/v1/plans/import", json=two_leads, headers=auth("office")), 422)
