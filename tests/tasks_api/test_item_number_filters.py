"""Lists about items filter by the item's number as printed (编号): a plan numbers several items alike, so a number
may match several, each numbered exactly so."""

from tests.tasks_api.test_deadlines import YEAR_2025, walk


def items_of(client, auth, plan_id, **params):
    response = client.get(f"/v1/plans/{plan_id}/items", params={"limit": 500, **params}, headers=auth("viewer"))
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_a_plans_items_filter_by_number(quzhou_client, auth, quzhou_plan_id):
    everything = items_of(quzhou_client, auth, quzhou_plan_id)
    sevens = items_of(quzhou_client, auth, quzhou_plan_id, number="7")
    assert [i["id"] for i in sevens] == [i["id"] for i in everything if i["number"] == "7"]
    assert len(sevens) > 1


def test_the_deadline_calendar_filters_by_item_number(quzhou_client, auth):
    everything = walk(quzhou_client, auth("viewer"), **YEAR_2025)
    rows = walk(quzhou_client, auth("viewer"), item_number="7", **YEAR_2025)
    assert rows == [r for r in everything if r["item_number"] == "7"]
    assert rows and len({r["item_number"] for r in everything}) > 1


def test_a_units_items_filter_by_item_number(quzhou_client, auth, quzhou_plan_id):
    seven = items_of(quzhou_client, auth, quzhou_plan_id, number="7", kind="key_work")[0]
    detail = quzhou_client.get(f"/v1/items/{seven['id']}", headers=auth("viewer")).json()
    unit_id = detail["responsibilities"][0]["unit_id"]
    response = quzhou_client.get(
        f"/v1/units/{unit_id}/items", params={"item_number": "7", "limit": 500}, headers=auth("viewer")
    )
    numbered = response.json()["data"]
    assert seven["id"] in [i["id"] for i in numbered]
    assert {i["number"] for i in numbered} == {"7"}


def test_an_item_number_that_no_item_has_finds_nothing(quzhou_client, auth, quzhou_plan_id):
    assert items_of(quzhou_client, auth, quzhou_plan_id, number="第九十九") == []


def test_a_plans_assignments_filter_by_item_number(quzhou_client, auth, quzhou_plan_id):
    url = f"/v1/plans/{quzhou_plan_id}/assignments"
    everything = quzhou_client.get(url, params={"limit": 500}, headers=auth("office")).json()["data"]
    sevens = quzhou_client.get(url, params={"limit": 500, "item_number": "7"}, headers=auth("office")).json()["data"]
    assert sevens == [a for a in everything if a["item_number"] == "7"]
    assert sevens and len(sevens) < len(everything)
