"""Probes: compliance, roll-ups and lights counting the same period's data."""

from tests.reporting_api.test_cadence import set_cadence
from tests.reporting_api.test_reports import file_report, submit
from tests.reporting_api.test_rollups import group_named, rollups

TRANSPORT = "市交通运输局"
AFTER_Q1_DUE = "2024-05-06"  # 2024-Q1 is due 2024-04-10


def _compliance(client, auth, plan_id, period="2024-Q1", **params):
    response = client.get(
        f"/v1/plans/{plan_id}/compliance",
        params={"period": period, "limit": 500, "as_of": AFTER_Q1_DUE, **params},
        headers=auth("office"),
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_report_on_an_item_no_longer_owing_does_not_count_as_an_owed_report_in_the_rollup(
    reporting_client, auth, quzhou, transport
):
    """README: a report for a period no longer owed "is listed in compliance as filed with owed: false (not counted
    in expected)". The roll-up by unit must agree with compliance for the same unit and period: the unit's owed
    reports are all missing and overdue; its not-owed report must not cover one of them."""
    client, headers = reporting_client, transport["headers"]
    t9 = quzhou.item("T9")
    submit(client, headers, file_report(client, headers, t9["id"], period="2024-Q1")["id"])
    set_cadence(client, auth, t9["id"], "half_yearly")  # T9 no longer owes 2024-Q1; its filed report stays

    summary = _compliance(client, auth, quzhou.plan_id, unit_id=transport["unit_id"])["summary"]
    row = group_named(rollups(client, auth, quzhou.plan_id, "unit", as_of=AFTER_Q1_DUE), TRANSPORT)
    # compliance: every owed pair of the unit is missing and overdue
    assert summary["overdue"] == summary["expected"] == row["expected"]
    assert (row["missing"], row["overdue"]) == (summary["overdue"], summary["overdue"]), (row, summary)
