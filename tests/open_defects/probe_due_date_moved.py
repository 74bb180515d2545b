"""Probe: a due date the office moves after a report was filed."""

from datetime import datetime

from services.common import clock
from tests.reporting_api.test_reports import file_report, submit

FILED = datetime(2024, 4, 12, 10, tzinfo=clock.SHANGHAI)  # 2024-Q1 is due 2024-04-10 (Wednesday): 2 working days late


def test_extending_a_due_date_after_a_report_was_filed_judges_it_on_the_new_date(
    reporting_client, auth, quzhou, transport
):
    """README: "Each report is due `due_days_after_period` days after its period ends … (or on the date the office
    set for that period)", and "`late` is true once the Beijing date is after the due date". The office extends
    2024-Q1 to 2024-04-19; a report filed on 2024-04-12 came before that due date. Compliance shows the row with
    due_on 2024-04-19 yet late by 2 working days (counted from the old date), while a unit that files on 04-15
    would be on time."""
    client, headers = reporting_client, transport["headers"]
    t9 = quzhou.item("T9")
    report = file_report(client, headers, t9["id"], period="2024-Q1")
    with clock.frozen(FILED):
        assert submit(client, headers, report["id"])["days_late"] == 2
    moved = client.put(
        f"/v1/plans/{quzhou.plan_id}/periods/2024-Q1/due-date", json={"due_on": "2024-04-19"}, headers=auth("office")
    )
    assert moved.status_code == 204, moved.text
    view = client.get(
        f"/v1/plans/{quzhou.plan_id}/compliance",
        params={"period": "2024-Q1", "unit_id": transport["unit_id"], "limit": 500, "as_of": "2024-04-16"},
        headers=auth("office"),
    ).json()
    row = next(r for r in view["data"] if r["report_id"] == report["id"])
    assert row["due_on"] == "2024-04-19"
    assert (row["late"], row["days_late"]) == (False, 0), row
