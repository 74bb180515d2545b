"""A plan file says who leads an item by order (the first unit named leads): its export writes the lead first, however
the office came to name it, so that importing the export keeps every lead (牵头单位) where it was."""

import copy

from tests.tasks_api.factories import import_small_plan


def roles(client, headers, item_id):
    rows = client.get(f"/v1/items/{item_id}/responsibilities", headers=headers).json()["data"]
    return {row["unit_name"]: row["role"] for row in rows}


def test_a_lead_named_after_the_co_operating_units_is_written_first_and_imported_as_lead(tasks_client, auth):
    """T2: the office adds a co-operating unit, removes the lead, then names a new lead (the last in position)."""
    office = auth("office")
    plan = import_small_plan(tasks_client, auth)
    t2 = plan.items["T2"]
    co = {"unit_id": plan.units["市交通运输局"], "role": "co"}
    assert tasks_client.post(f"/v1/items/{t2}/responsibilities", json=co, headers=office).status_code == 201
    lead_id = plan.responsibilities["T2", "市水利局"]
    assert tasks_client.delete(f"/v1/items/{t2}/responsibilities/{lead_id}", headers=office).status_code == 204
    lead = {"unit_id": plan.units["市发改委"], "role": "lead"}
    assert tasks_client.post(f"/v1/items/{t2}/responsibilities", json=lead, headers=office).status_code == 201
    exported = tasks_client.get(f"/v1/plans/{plan.plan_id}/export", headers=office).json()
    entry = next(i for s in exported["items"] for i in [s, *s.get("children", [])] if i["key"] == "T2")
    assert [u if isinstance(u, str) else u["unit"] for u in entry["units"]] == ["市发改委", "市交通运输局"]

    copied = copy.deepcopy(exported)
    copied["plan"]["key"] = "test-plan-copy"
    imported = tasks_client.post("/v1/plans/import", json=copied, headers=office)
    assert imported.status_code == 200, imported.text
    items = tasks_client.get(f"/v1/plans/{imported.json()['plan_id']}/items", headers=office).json()["data"]
    copy_t2 = next(item["id"] for item in items if item["key"] == "T2")
    assert roles(tasks_client, office, copy_t2) == {"市交通运输局": "co", "市发改委": "lead"}

    again = tasks_client.post("/v1/plans/import", json=exported, headers=office)
    assert again.status_code == 200, again.text
    assert roles(tasks_client, office, t2) == {"市交通运输局": "co", "市发改委": "lead"}
