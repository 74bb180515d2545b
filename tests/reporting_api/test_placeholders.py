"""Collective placeholders of the plan (市级有关部门 on task 13, 及相关部门 on key work 29) are nobody's duty:
no report is expected of them, nobody can file for them, and the assessment never lists them."""

from tests.reporting_api.test_compliance import compliance

COMMERCE = "市商务局"


def test_a_placeholder_expects_no_report(reporting_client, auth, quzhou):
    view = compliance(reporting_client, auth("office"), quzhou.plan_id, period="2020-Q1")  # key works end in 2020
    assert all(row["unit_id"] is not None for row in view["data"])
    assert not [row for row in view["data"] if row["item_id"] == quzhou.item("T13")["id"]]
    assert [row["unit_id"] for row in view["data"] if row["item_id"] == quzhou.item("KW29")["id"]] == [
        quzhou.unit_id(COMMERCE)
    ]


def test_nobody_files_for_an_item_only_a_placeholder_answers_for(reporting_client, auth, quzhou):
    commerce = quzhou.unit_id(COMMERCE)
    response = reporting_client.post(
        "/v1/reports",
        json={"item_id": quzhou.item("T13")["id"], "period": "2024-Q1", "progress": "推进中"},
        headers=auth("unit", unit_id=commerce),
    )
    assert response.status_code in (403, 422)
    assert response.headers["content-type"].startswith("application/problem+json")
