"""Probe: a report the office reopens for a correction keeps the lateness of its first submission."""

from datetime import datetime

from services.common import clock
from tests.reporting_api.test_reports import file_report, review, submit

ON_TIME = datetime(2024, 4, 8, 10, tzinfo=clock.SHANGHAI)  # 2024-Q1 is due 2024-04-10
REOPENED = datetime(2024, 4, 15, 10, tzinfo=clock.SHANGHAI)


def test_a_report_filed_on_time_and_reopened_by_the_office_is_not_overdue_or_late(
    reporting_client, auth, quzhou, transport
):
    """README: days_late counts "up to the day of the first submission (up to today for a report not submitted)";
    withdraw resets lateness only "When no earlier version was reviewed", so a reviewed report keeps it; reopen "lets
    the unit correct a reviewed report". The report itself still says late=false, days_late=0 after the reopen:
    compliance must not show the same pair as overdue and late by the working days up to today."""
    client, headers = reporting_client, transport["headers"]
    t9 = quzhou.item("T9")
    report = file_report(client, headers, t9["id"], period="2024-Q1")
    with clock.frozen(ON_TIME):
        submit(client, headers, report["id"])
    accepted = review(client, auth, report["id"], "accept")
    assert accepted.status_code == 200
    with clock.frozen(REOPENED):
        reopened = client.post(
            f"/v1/reports/{report['id']}/reopen",
            json={"reason": "里程数据需更正"},
            headers={**auth("office"), "If-Match": accepted.headers["etag"]},
        )
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["late"], reopened.json()["days_late"]) == (False, 0)  # the report keeps its lateness

    view = client.get(
        f"/v1/plans/{quzhou.plan_id}/compliance",
        params={"period": "2024-Q1", "unit_id": transport["unit_id"], "limit": 500, "as_of": "2024-04-20"},
        headers=auth("office"),
    ).json()
    row = next(r for r in view["data"] if r["report_id"] == report["id"])
    assert (row["late"], row["days_late"], row["overdue"]) == (False, 0, False), row
