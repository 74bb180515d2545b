"""Collective placeholders (市级有关部门): the office turns them into units, the printed phrase stays."""

import threading

import pytest

from services.tasks_api.plans.files.plan_file import ResponsibleEntry
from services.tasks_api.plans.files.validation import parse_plan_file
from tests.conftest import QUZHOU_PLAN, plan_id_of


@pytest.fixture
def quzhou_fresh(tasks_client, auth):
    """The Quzhou plan imported into an empty database that the test may change."""
    response = tasks_client.post(
        "/v1/plans/import",
        content=QUZHOU_PLAN.read_bytes(),
        headers=auth("office", **{"Content-Type": "application/yaml"}),
    )
    assert response.status_code == 200, response.text
    return response.json()["plan_id"]


def item_id(client, auth, plan_id, key):
    kind = "key_work" if key.startswith("KW") else "task"
    found = client.get(
        f"/v1/plans/{plan_id}/items", params={"kind": kind, "limit": 500}, headers=auth("viewer")
    ).json()["data"]
    return next(i["id"] for i in found if i["key"] == key)


def unit_id(client, auth, name):
    units = client.get("/v1/units", params={"limit": 500}, headers=auth("viewer")).json()["data"]
    return next(u["id"] for u in units if u["name"] == name)


def placeholder_of(client, auth, item):
    found = client.get(f"/v1/items/{item}/responsibilities", headers=auth("viewer")).json()["data"]
    return next(d for d in found if d["status"] == "to_be_assigned")


def assign(client, auth, responsibility_id, *unit_ids, role="office"):
    return client.post(
        f"/v1/responsibilities/{responsibility_id}/units", json={"unit_ids": list(unit_ids)}, headers=auth(role)
    )


def test_the_office_replaces_a_placeholder_by_units_that_keep_the_printed_phrase(tasks_client, auth, quzhou_fresh):
    t13 = item_id(tasks_client, auth, quzhou_fresh, "T13")
    placeholder = placeholder_of(tasks_client, auth, t13)
    ndrc, housing = unit_id(tasks_client, auth, "市发改委"), unit_id(tasks_client, auth, "市住建局")
    response = assign(tasks_client, auth, placeholder["id"], ndrc, housing)
    assert response.status_code == 200, response.text
    now = tasks_client.get(f"/v1/items/{t13}", headers=auth("viewer")).json()["responsibilities"]
    assert [(d["unit_id"], d["role"], d["printed_name"], d["status"]) for d in now] == [
        (ndrc, "lead", "市级有关部门", "assigned"),
        (housing, "co", "市级有关部门", "assigned"),
    ]
    history = tasks_client.get(f"/v1/history/responsibility/{placeholder['id']}", headers=auth("office")).json()
    [deleted] = [entry for entry in history["data"] if entry["action"] == "delete"]
    assert "市级有关部门" in str(deleted["changes"])


def test_a_placeholder_taken_over_in_the_middle_keeps_the_printed_order(tasks_client, auth, quzhou_fresh):
    kw29 = item_id(tasks_client, auth, quzhou_fresh, "KW29")
    placeholder = placeholder_of(tasks_client, auth, kw29)
    customs = unit_id(tasks_client, auth, "衢州海关")
    assert assign(tasks_client, auth, placeholder["id"], customs).status_code == 200
    now = tasks_client.get(f"/v1/items/{kw29}/responsibilities", headers=auth("viewer")).json()["data"]
    assert [(d["unit_name"], d["role"], d["printed_name"]) for d in now] == [
        ("市商务局", "lead", "市商务局"),
        ("衢州海关", "co", "及相关部门"),
    ]


def test_a_placeholder_is_assigned_once(tasks_client, auth, quzhou_fresh):
    placeholder = placeholder_of(tasks_client, auth, item_id(tasks_client, auth, quzhou_fresh, "T13"))
    ndrc = unit_id(tasks_client, auth, "市发改委")
    assert assign(tasks_client, auth, placeholder["id"], ndrc).status_code == 200
    again = assign(tasks_client, auth, placeholder["id"], ndrc)
    assert again.status_code in (404, 409)
    assert again.headers["content-type"].startswith("application/problem+json")


def test_a_placeholder_cannot_take_an_unknown_unit_or_one_already_responsible(tasks_client, auth, quzhou_fresh):
    kw29 = item_id(tasks_client, auth, quzhou_fresh, "KW29")
    placeholder = placeholder_of(tasks_client, auth, kw29)
    assert assign(tasks_client, auth, placeholder["id"], 999_999).status_code == 422
    assert assign(tasks_client, auth, placeholder["id"], unit_id(tasks_client, auth, "市商务局")).status_code == 409
    assert placeholder_of(tasks_client, auth, kw29)["id"] == placeholder["id"]


def test_only_the_office_assigns_a_placeholder(tasks_client, auth, quzhou_fresh):
    placeholder = placeholder_of(tasks_client, auth, item_id(tasks_client, auth, quzhou_fresh, "T13"))
    ndrc = unit_id(tasks_client, auth, "市发改委")
    assert assign(tasks_client, auth, placeholder["id"], ndrc, role="viewer").status_code == 403


def test_a_placeholder_cannot_be_acknowledged(tasks_client, auth, quzhou_fresh):
    placeholder = placeholder_of(tasks_client, auth, item_id(tasks_client, auth, quzhou_fresh, "T13"))
    response = tasks_client.post(f"/v1/responsibilities/{placeholder['id']}/acknowledgement", headers=auth("office"))
    assert response.status_code == 409


def test_an_assigned_placeholder_exports_as_units_printed_as_the_phrase(tasks_client, auth, quzhou_fresh):
    placeholder = placeholder_of(tasks_client, auth, item_id(tasks_client, auth, quzhou_fresh, "T13"))
    assign(tasks_client, auth, placeholder["id"], unit_id(tasks_client, auth, "市发改委"))
    exported = parse_plan_file(
        tasks_client.get(f"/v1/plans/{quzhou_fresh}/export", params={"format": "yaml"}, headers=auth("viewer")).content
    )
    t13 = next(item for item, _, _ in exported.walk() if item.key == "T13")
    assert t13.units == [ResponsibleEntry(unit="市发改委", as_printed="市级有关部门")]


def test_the_export_imported_elsewhere_exports_the_same_file(tasks_client, auth, quzhou_fresh):
    first = tasks_client.get(f"/v1/plans/{quzhou_fresh}/export", params={"format": "yaml"}, headers=auth("viewer"))
    tasks_client.delete(f"/v1/plans/{quzhou_fresh}", headers=auth("office", **{"If-Match": '"1"'}))
    again = tasks_client.post(
        "/v1/plans/import", content=first.content, headers=auth("office", **{"Content-Type": "application/yaml"})
    )
    assert again.status_code == 200, again.text
    second = tasks_client.get(
        f"/v1/plans/{plan_id_of(tasks_client, auth)}/export", params={"format": "yaml"}, headers=auth("viewer")
    )
    assert (
        parse_plan_file(second.content) == parse_plan_file(first.content) == parse_plan_file(QUZHOU_PLAN.read_bytes())
    )


def test_a_plan_file_with_a_nameless_entry_or_a_placeholder_twice_is_refused(tasks_client, auth):
    text = QUZHOU_PLAN.read_text(encoding="utf-8")
    for broken in ("units: [{group: 2}]", "units: [{as_printed: 市级有关部门}, {as_printed: 市级有关部门}]"):
        changed = text.replace("units: [{as_printed: 市级有关部门}]", broken)
        response = tasks_client.post(
            "/v1/plans/import", content=changed.encode(), headers=auth("office", **{"Content-Type": "application/yaml"})
        )
        assert response.status_code == 422, broken


def test_two_offices_assigning_one_placeholder_at_once_replace_it_once(tasks_client, auth, quzhou_fresh):
    t13 = item_id(tasks_client, auth, quzhou_fresh, "T13")
    placeholder = placeholder_of(tasks_client, auth, t13)
    choices = [unit_id(tasks_client, auth, name) for name in ("市发改委", "市住建局", "市文旅局", "市商务局")]
    barrier, statuses = threading.Barrier(len(choices)), []

    def take(unit):
        barrier.wait()
        statuses.append(assign(tasks_client, auth, placeholder["id"], unit).status_code)

    threads = [threading.Thread(target=take, args=(unit,)) for unit in choices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses)[0] == 200 and statuses.count(200) == 1 and set(statuses) <= {200, 404, 409}
    now = tasks_client.get(f"/v1/items/{t13}/responsibilities", headers=auth("viewer")).json()["data"]
    assert [(d["role"], d["printed_name"], d["status"]) for d in now] == [("lead", "市级有关部门", "assigned")]
